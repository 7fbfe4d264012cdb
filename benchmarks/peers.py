"""Grade the same checks with ours, nbgrader, otter-grader and a direct floor; print ours/theirs ratios (issue 17).

    python benchmarks/peers.py [--exercises cnn conv_layer] [--runs 5] [--batch 12] [--warmups 1] [--force]

For each exercise (cnn and conv_layer, the reference solutions) and each mode (one submission, then a batch of
``--batch`` identical submissions) this script grades with:

- ours: ``grade <folder> --backend local --include-hidden --json out.json``, and for the batch
  ``grade batch DIR --gradebook fresh.sqlite -j 1 --backend local`` (one folder per candidate);
- nbgrader: ``nbgrader autograde <assignment> --force`` in a course directory made here (generate_assignment
  runs once, untimed; every candidate's notebook is the released notebook with the solution filled in);
- otter: ``otter run -a autograder.zip submission.ipynb`` (no Docker; the autograder zip is made once by
  ``otter generate``, untimed); ``otter grade`` needs Docker, so the batch is one ``otter run`` per notebook;
- direct: the ported checks called directly on the candidate module in one Python process (the batch loads the
  candidate copies one after another in that same process): the floor no grader can go below.

nbgrader and otter get the ported checks in ``benchmarks/peers/<slug>_checks.py``: a representative subset of our
graders' checks as plain asserts, with the same data sizes, epochs and batch sizes (each file's docstring says what
was ported and what not). Each ``check_`` function becomes one autograded test cell (nbgrader) or one test case
(otter); the other names become one locked helper cell (nbgrader) or the top of the test file (otter). The direct
floor runs the same functions. Every check draws its data from its own fixed seed. nbgrader scores a test cell 0
when it writes to stderr, so the ported checks avoid calls that warn. Ours runs all of our checks,
including the verification of the worker's claims that the peers have no need for (they run the candidate in
their own process): that extra work is part of what the ratios show.

Every timing runs in a measuring subprocess that starts the command(s), waits, and reports the wall time and the
CPU time (user + sys) of the whole waited-for process tree, from ``resource.getrusage(RUSAGE_CHILDREN)`` (the
notebook kernels count: jupyter_client waits for them at shutdown; a process left to init would not).
The tables give medians over ``--runs`` runs (after ``--warmups`` unmeasured runs) and ours/theirs ratios
(above 1: ours is slower). The score column shows each tool graded the solution (points earned / possible, the
mean per submission of the first measured run). The script prints figures and asserts nothing.

nbgrader and otter-grader are installed, each into its own venv under ``--cache-dir``
(default ~/.cache/ml-grader-bench), with numpy, tensorflow-cpu and keras pinned to pyproject.toml's versions and
ipykernel for their notebook kernels; pip reuses its cache and the wheels in ~/.cache/ml-grader/wheels. Each
install time is kept in the venv (file installed-seconds) and printed on every run. The run refuses to start when
the 1-minute load average is above 1.5 per core, unless ``--force``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from machine_load import MAX_LOAD_PER_CORE, check_load

ROOT = Path(__file__).resolve().parent.parent
CHECKS_FOLDER = Path(__file__).resolve().parent / "peers"
GRADE = ROOT / ".venv" / "bin" / "grade"
OURS_PYTHON = ROOT / ".venv" / "bin" / "python"
WHEELS = Path.home() / ".cache" / "ml-grader" / "wheels"
EXERCISES = ("cnn", "conv_layer")
TOOLS = ("ours", "nbgrader", "otter", "direct")
PEER_PACKAGES = {"nbgrader": "nbgrader==0.9.6", "otter": "otter-grader==7.0.0"}
PINNED = ("numpy", "tensorflow-cpu", "keras")
CELL_TIMEOUT_SECONDS = 1800

# The measuring subprocess: runs each command of a JSON list (argv, cwd) in turn, then prints wall and CPU seconds.
MEASURE_CODE = """
import json, resource, subprocess, sys, time
commands = json.loads(sys.argv[1])
started = time.perf_counter()
codes = [subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
         for argv, cwd in commands]
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "codes": codes}))
"""


@dataclass
class Measurement:
    """Wall and CPU seconds of one measured run, and the return codes of its commands."""

    wall: float
    cpu: float
    codes: list[int]


@dataclass
class Job:
    """One tool grading one exercise in one mode: the commands to time, and how to read the score afterwards."""

    tool: str
    commands: list[tuple[list[str], Path]]
    read_score: Callable[[], list[tuple[float, float]]] | None = None  # (earned, possible) per submission
    before_run: Callable[[], None] | None = None  # run before each (timed or warm-up) run, untimed
    measurements: list[Measurement] = field(default_factory=list)
    score: str = "-"


# ----------------------------------------------------------------------------------------------------------------
# Environments


def pinned_versions() -> dict[str, str]:
    """The versions of numpy, tensorflow-cpu and keras that pyproject.toml pins."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requirements = project["project"]["dependencies"] + project["project"]["optional-dependencies"]["tf"]
    versions = {}
    for requirement in requirements:
        name, _, rest = requirement.partition("==")
        if name.strip() in PINNED:
            versions[name.strip()] = rest.split(";")[0].strip()
    return versions


def ensure_venv(cache_dir: Path, tool: str) -> tuple[Path, str]:
    """Install the tool's venv under ``cache_dir`` unless done before; return its bin folder and its install time.

    A venv counts as done when its marker file exists: the marker holds the seconds the install took, so later runs
    can still print them. An interrupted install is resumed by pip on the next run.
    """
    venv = cache_dir / f"{tool}-venv"
    marker = venv / "installed-seconds"
    if marker.exists():
        return venv / "bin", f"installed earlier in {float(marker.read_text()):.0f} s"
    started = time.perf_counter()
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = [f"{name}=={version}" for name, version in pinned_versions().items()]
    links = ["--find-links", str(WHEELS)] if WHEELS.is_dir() else []
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *links]
    subprocess.run([*pip, PEER_PACKAGES[tool], *pins, "ipykernel"], check=True)
    seconds = time.perf_counter() - started
    marker.write_text(f"{seconds:.1f}\n")
    return venv / "bin", f"installed now in {seconds:.0f} s"


def tool_environment(scratch: Path, bin_folder: Path | None = None) -> dict[str, str]:
    """The environment of a graded command: Jupyter's folders in the scratch folder, quiet TensorFlow."""
    environment = dict(os.environ)
    environment["JUPYTER_CONFIG_DIR"] = str(scratch / "jupyter-config")
    environment["JUPYTER_DATA_DIR"] = str(scratch / "jupyter-data")
    environment["TF_CPP_MIN_LOG_LEVEL"] = "2"
    environment.pop("VIRTUAL_ENV", None)
    if bin_folder is not None:
        environment["PATH"] = f"{bin_folder}{os.pathsep}{environment['PATH']}"
    return environment


# ----------------------------------------------------------------------------------------------------------------
# The ported checks


def checks_source(slug: str) -> tuple[str, dict[str, str], dict[str, int]]:
    """Split ``peers/<slug>_checks.py`` into the helpers' source, each check's source and each check's points."""
    path = CHECKS_FOLDER / f"{slug}_checks.py"
    text = path.read_text()
    tree = ast.parse(text)
    helpers, checks = [], {}
    for node in tree.body:
        segment = ast.get_source_segment(text, node)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
            checks[node.name] = segment
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # not the docstring
            helpers.append(segment)
    namespace: dict = {}
    exec(compile("\n".join(helpers), str(path), "exec"), namespace)
    return "\n\n\n".join(helpers), checks, namespace["CHECK_POINTS"]


def candidate_code(slug: str) -> str:
    """The reference solution's code as a candidate's notebook cell holds it (no __future__ import mid-script)."""
    text = (ROOT / "solutions" / slug / f"{slug}.py").read_text()
    return "\n".join(line for line in text.splitlines() if line.strip() != "from __future__ import annotations")


CANDIDATE_LINE = "candidate = types.SimpleNamespace(**{name: globals()[name] for name in CANDIDATE_NAMES})"


# ----------------------------------------------------------------------------------------------------------------
# Measuring


def measure(commands: list[tuple[list[str], Path]], environment: dict[str, str]) -> Measurement:
    """Run ``commands`` in a measuring subprocess; return its wall time, its children's CPU time and return codes."""
    serialised = json.dumps([(argv, str(cwd)) for argv, cwd in commands])
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE_CODE, serialised], env=environment, capture_output=True, text=True, check=True
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return Measurement(wall=report["wall"], cpu=report["cpu"], codes=report["codes"])


def run_job(job: Job, environment: dict[str, str], runs: int, warmups: int) -> None:
    """Warm up, then measure ``runs`` times; read the score after the first measured run."""
    for number in range(warmups + runs):
        if job.before_run is not None:
            job.before_run()
        measurement = measure(job.commands, environment)
        if number < warmups:
            continue
        job.measurements.append(measurement)
        if len(job.measurements) == 1:
            job.score = describe_score(job, measurement)
        print(
            f"    {job.tool:<9} run {number - warmups + 1}: wall {measurement.wall:7.1f} s, "
            f"CPU {measurement.cpu:7.1f} s, return codes {sorted(set(measurement.codes))}",
            flush=True,
        )


def describe_score(job: Job, measurement: Measurement) -> str:
    """The mean earned / possible points per submission, or the failure that stopped reading them."""
    if job.read_score is None:
        return "-"
    try:
        scores = job.read_score()
    except Exception as problem:  # a tool that failed leaves no or partial results: show why
        return f"unreadable ({type(problem).__name__}: {problem})"[:60]
    if not scores:
        return "no results"
    earned = statistics.mean(score[0] for score in scores)
    possible = statistics.mean(score[1] for score in scores)
    return f"{earned:g}/{possible:g} x{len(scores)}"


# ----------------------------------------------------------------------------------------------------------------
# Ours


def copy_solution(slug: str, folder: Path) -> Path:
    """Copy the reference solution's module into ``folder/<slug>/``; return that folder."""
    target = folder / slug
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "solutions" / slug / f"{slug}.py", target / f"{slug}.py")
    return target


def ours_single(slug: str, work: Path) -> Job:
    """``grade <folder> --backend local --include-hidden --json out.json`` on one copy of the solution."""
    folder = copy_solution(slug, work / "single")
    report = work / "single.json"
    command = [str(GRADE), str(folder), "--backend", "local", "--include-hidden", "--json", str(report)]

    def read_score() -> list[tuple[float, float]]:
        result = json.loads(report.read_text())
        return [(result["score"], result["max_score"])]

    return Job("ours", [(command, work)], read_score=read_score)


def ours_batch(slug: str, work: Path, count: int) -> Job:
    """``grade batch DIR --gradebook fresh.sqlite -j 1 --backend local`` on ``count`` candidate folders."""
    submissions = work / "batch"
    for number in range(1, count + 1):
        copy_solution(slug, submissions / f"candidate_{number:03d}")
    gradebook = work / "gradebook.sqlite"
    command = [str(GRADE), "batch", str(submissions), "--gradebook", str(gradebook), "-j", "1"]
    command += ["--backend", "local", "--include-hidden", "--exercises", slug]

    def fresh_gradebook() -> None:
        for path in work.glob("gradebook.sqlite*"):
            path.unlink()

    def read_score() -> list[tuple[float, float]]:
        with sqlite3.connect(gradebook) as connection:
            return connection.execute("SELECT score, max_score FROM results").fetchall()

    return Job("ours", [(command, work)], read_score=read_score, before_run=fresh_gradebook)


# ----------------------------------------------------------------------------------------------------------------
# Notebooks (nbgrader and otter)


def code_cell(source: str, nbgrader: dict | None = None) -> dict:
    """A notebook code cell, with nbgrader's metadata when given."""
    metadata = {"nbgrader": {"schema_version": 3, **nbgrader}} if nbgrader else {}
    return {"cell_type": "code", "execution_count": None, "metadata": metadata, "outputs": [], "source": source}


def notebook(cells: list[dict]) -> dict:
    """A version 4 notebook on the python3 kernel of the venv running it."""
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def write_json(path: Path, value: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1))


# ----------------------------------------------------------------------------------------------------------------
# nbgrader


def nbgrader_source_notebook(slug: str) -> dict:
    """The instructor's notebook: the solution cell, a locked helper cell, and one autograded test cell per check."""
    helpers, checks, points = checks_source(slug)
    solution = candidate_code(slug)  # its "# BEGIN SOLUTION" / "# END SOLUTION" pairs are nbgrader's delimiters too
    cells = [code_cell(solution, {"grade": False, "solution": True, "locked": False, "grade_id": "candidate"})]
    helper_cell = f"import types\n\n{helpers}\n\n\n{CANDIDATE_LINE}"
    cells.append(code_cell(helper_cell, {"grade": False, "solution": False, "locked": True, "grade_id": "helpers"}))
    for name, source in checks.items():
        metadata = {"grade": True, "solution": False, "locked": True, "grade_id": name, "points": points[name]}
        cells.append(code_cell(f"{source}\n\n\n{name}(candidate)", metadata))
    return notebook(cells)


def nbgrader_course(slug: str, folder: Path, count: int, environment: dict[str, str]) -> list[str]:
    """Make a course in ``folder``, release the assignment and submit ``count`` filled-in notebooks; return ids."""
    folder.mkdir(parents=True)
    config = f"c = get_config()\nc.CourseDirectory.root = {str(folder)!r}\nc.Execute.timeout = {CELL_TIMEOUT_SECONDS}\n"
    (folder / "nbgrader_config.py").write_text(config)
    write_json(folder / "source" / slug / f"{slug}.ipynb", nbgrader_source_notebook(slug))
    subprocess.run(
        ["nbgrader", "generate_assignment", slug, "--force"],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
    )
    released = json.loads((folder / "release" / slug / f"{slug}.ipynb").read_text())
    released["cells"][0]["source"] = candidate_code(slug)
    students = [f"candidate_{number:03d}" for number in range(1, count + 1)]
    for student in students:
        write_json(folder / "submitted" / student / slug / f"{slug}.ipynb", copy.deepcopy(released))
    return students


def nbgrader_job(slug: str, work: Path, count: int, bin_folder: Path, environment: dict[str, str]) -> Job:
    """``nbgrader autograde <slug> --force`` over ``count`` submitted notebooks."""
    course = work / "course"
    students = nbgrader_course(slug, course, count, environment)
    command = [str(bin_folder / "nbgrader"), "autograde", slug, "--force"]

    def read_score() -> list[tuple[float, float]]:
        query = (
            "SELECT student_id, SUM(COALESCE(grade.manual_score, grade.auto_score, 0)), SUM(grade_cells.max_score) "
            "FROM grade JOIN grade_cells ON grade.cell_id = grade_cells.id "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "GROUP BY student_id"
        )
        with sqlite3.connect(course / "gradebook.db") as connection:
            rows = connection.execute(query).fetchall()
        return [(earned, possible) for student, earned, possible in rows if student in students]

    return Job("nbgrader", [(command, course)], read_score=read_score)


# ----------------------------------------------------------------------------------------------------------------
# otter-grader


def otter_test_file(slug: str) -> str:
    """An exception-based otter test file: the helpers, then one test case per check."""
    helpers, checks, points = checks_source(slug)
    parts = ["import types", "from otter.test_files import test_case", "OK_FORMAT = False", f"name = {slug!r}"]
    parts += [helpers]
    for name, source in checks.items():
        case = f"@test_case(name={name!r}, points={points[name]})\ndef test_{name}(env):\n"
        case += "    candidate = types.SimpleNamespace(**{key: env[key] for key in CANDIDATE_NAMES})\n"
        case += f"    {name}(candidate)"
        parts += [source, case]
    return "\n\n\n".join(parts) + "\n"


def otter_job(slug: str, work: Path, count: int, bin_folder: Path, environment: dict[str, str]) -> Job:
    """One ``otter run -a autograder.zip -o OUT notebook.ipynb`` per submission, in turn."""
    tests = work / "tests"
    tests.mkdir(parents=True)
    (tests / f"{slug}.py").write_text(otter_test_file(slug))
    autograder = work / "autograder.zip"
    generate = [str(bin_folder / "otter"), "generate", "-t", str(tests), "-o", str(autograder), "--no-requirements"]
    subprocess.run(generate, cwd=work, env=environment, check=True, capture_output=True)
    commands, outputs = [], []
    for number in range(1, count + 1):
        submission = work / "submissions" / f"candidate_{number:03d}" / f"{slug}.ipynb"
        write_json(submission, notebook([code_cell(candidate_code(slug))]))
        output = work / "results" / f"candidate_{number:03d}"
        output.mkdir(parents=True)
        outputs.append(output)
        command = [str(bin_folder / "otter"), "run", "-a", str(autograder), "-o", str(output), "--no-logo"]
        commands.append((command + [str(submission)], submission.parent))

    def read_score() -> list[tuple[float, float]]:
        scores = []
        for output in outputs:
            tests_run = json.loads((output / "results.json").read_text()).get("tests", [])
            scores.append(
                (sum(test.get("score", 0) for test in tests_run), sum(test.get("max_score", 0) for test in tests_run))
            )
        return scores

    return Job("otter", commands, read_score=read_score)


# ----------------------------------------------------------------------------------------------------------------
# The direct floor


def direct_job(slug: str, work: Path, count: int) -> Job:
    """The ported checks called on ``count`` candidate modules in one Python process (this script, --direct)."""
    modules = [copy_solution(slug, work / f"candidate_{number:03d}") / f"{slug}.py" for number in range(1, count + 1)]
    report = work / "direct.json"
    command = [str(OURS_PYTHON), str(Path(__file__).resolve()), "--direct", slug, str(report)]
    command += [str(module) for module in modules]

    def read_score() -> list[tuple[float, float]]:
        return [tuple(score) for score in json.loads(report.read_text())]

    return Job("direct", [(command, work)], read_score=read_score)


def run_direct(slug: str, report: Path, modules: list[str]) -> int:
    """Import each candidate module in turn and run every ported check on it; write (earned, possible) each."""
    import importlib.util

    sys.dont_write_bytecode = True  # no __pycache__ beside the checks or the candidates
    sys.path.insert(0, str(CHECKS_FOLDER))
    checks = importlib.import_module(f"{slug}_checks")
    scores = []
    for index, path in enumerate(modules):
        specification = importlib.util.spec_from_file_location(f"{slug}_candidate_{index}", path)
        module = importlib.util.module_from_spec(specification)
        specification.loader.exec_module(module)
        earned = 0
        for name, points in checks.CHECK_POINTS.items():
            try:
                getattr(checks, name)(module)
                earned += points
            except Exception as problem:  # a failed check scores 0, as in the peers
                print(f"{path}: {name} failed: {problem!r}", file=sys.stderr)
        checks.__dict__.get("TRAINED_CACHE", {}).clear()
        scores.append((earned, sum(checks.CHECK_POINTS.values())))
    report.write_text(json.dumps(scores))
    return 0


# ----------------------------------------------------------------------------------------------------------------
# The run


def build_jobs(slug: str, mode: str, count: int, scratch: Path, tools: list[str], bins: dict[str, Path]) -> list[Job]:
    """Prepare every tool's job for one exercise and one mode (untimed: copies, courses, autograder zips)."""
    jobs = []
    for tool in tools:
        work = scratch / slug / mode / tool
        work.mkdir(parents=True)
        if tool == "ours":
            jobs.append(ours_single(slug, work) if count == 1 else ours_batch(slug, work, count))
        elif tool == "direct":
            jobs.append(direct_job(slug, work, count))
        else:
            builder = nbgrader_job if tool == "nbgrader" else otter_job
            jobs.append(builder(slug, work, count, bins[tool], tool_environment(scratch, bins[tool])))
    return jobs


def print_table(title: str, jobs: list[Job]) -> None:
    """Medians of each tool and the ours/theirs ratios of wall and CPU time."""
    medians = {
        job.tool: (
            statistics.median(m.wall for m in job.measurements),
            statistics.median(m.cpu for m in job.measurements),
        )
        for job in jobs
        if job.measurements
    }
    ours = medians.get("ours")
    print(f"\n{title}")
    header = f"  {'tool':<9} {'wall (s)':>9} {'CPU (s)':>9} {'ours/it wall':>13} {'ours/it CPU':>12}"
    print(f"{header}  score (mean earned/possible x submissions)")
    for job in jobs:
        if job.tool not in medians:
            continue
        wall, cpu = medians[job.tool]
        wall_ratio = f"{ours[0] / wall:.2f}" if ours and wall > 0 else "-"
        cpu_ratio = f"{ours[1] / cpu:.2f}" if ours and cpu > 0 else "-"
        print(f"  {job.tool:<9} {wall:9.1f} {cpu:9.1f} {wall_ratio:>13} {cpu_ratio:>12}  {job.score}")
    print(flush=True)


def prepare_peers(cache_dir: Path, tools: list[str]) -> dict[str, Path]:
    """Install the peers' venvs when missing; return each peer's bin folder."""
    bins = {}
    for tool in tools:
        if tool not in PEER_PACKAGES:
            continue
        bins[tool], installed = ensure_venv(cache_dir, tool)
        print(f"{tool}: {PEER_PACKAGES[tool]} in {bins[tool].parent} ({installed})")
    return bins


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercises", nargs="+", default=list(EXERCISES), choices=EXERCISES)
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tool and mode (median)")
    parser.add_argument("--warmups", type=int, default=1, help="unmeasured runs before them")
    parser.add_argument("--batch", type=int, default=12, help="identical submissions in the batch mode (0: none)")
    parser.add_argument("--no-single", action="store_true", help="skip the one-submission mode")
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "ml-grader-bench")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (courses, results) and say where")
    parser.add_argument("--force", action="store_true", help=f"measure even above {MAX_LOAD_PER_CORE} load per core")
    parser.add_argument("--direct", nargs="+", metavar="ARG", help=argparse.SUPPRESS)  # SLUG REPORT MODULE...
    return parser.parse_args()


def main() -> int:
    options = parse_arguments()
    if options.direct:
        return run_direct(options.direct[0], Path(options.direct[1]), options.direct[2:])
    if not check_load(options.force):
        return 2
    bins = prepare_peers(options.cache_dir, options.tools)
    modes = ([] if options.no_single else [("single", 1)]) + ([("batch", options.batch)] if options.batch else [])
    scratch = Path(tempfile.mkdtemp(prefix="peers-"))
    environment = tool_environment(scratch)
    print(f"runs {options.runs} (after {options.warmups} warm-ups), scratch folder {scratch}", flush=True)
    try:
        for slug in options.exercises:
            for mode, count in modes:
                print(f"\n{slug}, {mode} ({count} submission{'s' if count > 1 else ''}): preparing", flush=True)
                jobs = build_jobs(slug, mode, count, scratch, options.tools, bins)
                for job in jobs:
                    job_environment = tool_environment(scratch, bins.get(job.tool)) if job.tool in bins else environment
                    run_job(job, job_environment, options.runs, options.warmups)
                print_table(f"{slug}, {mode}: {count} submission(s), medians of {options.runs} run(s)", jobs)
    finally:
        if options.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
