"""The grader process: run one exercise's checks against one submission and write the result.

    python -m harness.grader.runner --spec /results/spec.json

The run specification (:class:`~harness.wire.spec.RunSpec`) arrives as a file
the grader reads and removes, never on the command line, which the worker could
read.  This process is trusted.  It never imports the candidate's module: a
:class:`~harness.grader.proxy.Submission` starts a separate worker for that.  It
runs the same way on the host (local backend) and in a container (docker
backend), and whatever happens it writes a complete result.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.grader.proxy import Submission
from harness.grader.secrets import DataSecret
from harness.grader.supervisor import THREAD_VARIABLES
from harness.project import HIDDEN_CHECKS_FILE, PUBLIC_CHECKS_FILE, Exercise, load_exercise
from harness.wire.results import Outcome, RunResult
from harness.wire.spec import BadRunSpec, RunSpec
from harness.wire.versions import library_versions

PROGRESS_FILE_NAME = "progress.jsonl"  # beside the result: one JSON line per check started and finished
AUTOLOAD_VARIABLE = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
RECORD_CALLS_VARIABLE = "GRADE_RECORD_CALLS"  # benchmarks: write every request sent to the worker here
# A grader module that imports Keras or TensorFlow, or verifies the candidate's models, needs Keras in this process.
KERAS_USE = re.compile(r"^\s*(?:import|from)\s+(?:keras|tensorflow)\b|\bverify_keras_model\b", re.MULTILINE)


def grader_uses_keras(grader_dir: Path) -> bool:
    """Whether any of the grader's own modules (beside its checks) imports Keras or verifies models."""
    return any(KERAS_USE.search(path.read_text(encoding="utf-8", errors="replace")) for path in grader_dir.glob("*.py"))


def start_grader_imports(grader_dir: Path) -> None:
    """Import Keras here on a thread while the worker imports TensorFlow, when the grader will need it.

    Otherwise the first check that verifies a model waits ~3 s for the import, after the worker's own import:
    on two cores the two imports overlap instead.
    """
    if grader_uses_keras(grader_dir):
        from harness.grader.keras_models import import_keras_in_background

        import_keras_in_background()


def pin_own_threads(threads: int) -> None:
    """Give the grader's own numerical libraries (references, rebuilt models) the same fixed threads."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Standby:
    """A grader process started before its submission is known: what it was started for, and its warm worker."""

    grader_dir: str
    threads: int
    worker_user: str | int | None
    cgroup: str | None
    submission: Submission

    def serves(self, spec: RunSpec) -> str | None:
        """Why this standby cannot run ``spec`` (a host bug), or None when it can."""
        wanted = (spec.grader_dir, spec.threads, spec.worker_user, spec.cgroup)
        have = (self.grader_dir, self.threads, self.worker_user, self.cgroup)
        return None if wanted == have else f"the standby grader was started for {have}, not {wanted}"


def new_submission(
    exercise: Exercise, *, module_file: Path | None, seed: int, worker_user, threads: int, cgroup: str | None
) -> Submission:
    """The proxy of one run's submission (``module_file`` None: a standby whose worker waits to be assigned)."""
    record_to = os.environ.get(RECORD_CALLS_VARIABLE)
    return Submission(
        module_file,
        seed=seed,
        limits=exercise.limits,
        run_budget_seconds=exercise.time_budget_seconds,
        worker_user=worker_user,
        record_to=Path(record_to) if record_to else None,
        threads=threads,
        preload=exercise.preload,
        run_cgroup=cgroup,
    )


def start_standby(*, grader_dir: Path, threads: int, worker_user, cgroup: str | None) -> Standby:
    """Start the worker (it imports the exercise's libraries) and pytest, before any submission is known."""
    exercise = load_exercise(grader_dir)
    submission = new_submission(
        exercise, module_file=None, seed=0, worker_user=worker_user, threads=threads, cgroup=cgroup
    )
    submission.spawn()
    start_grader_imports(grader_dir)
    import pytest  # noqa: F401 - imported now, while nothing waits for it

    import harness.grader.plugin  # noqa: F401

    return Standby(str(grader_dir), threads, worker_user, cgroup, submission)


def run_checks(*, spec: RunSpec, quiet: bool = True, standby: Standby | None = None) -> RunResult:
    """Run the grader's checks against the submission in a fresh worker (or ``standby``'s) and return the result."""
    started = time.perf_counter()
    grader_dir = Path(spec.grader_dir)
    exercise = load_exercise(grader_dir)
    secret = DataSecret(salt_hex=spec.data_secret, exercise=exercise.slug, seed=spec.seed)
    if standby is not None:
        problem = standby.serves(spec)
        if problem is not None:
            raise ValueError(problem)
        submission = standby.submission
        submission.assign(Path(spec.submission_file), seed=secret.worker_seed)
    else:
        submission = new_submission(
            exercise,
            module_file=Path(spec.submission_file),
            seed=secret.worker_seed,
            worker_user=spec.worker_user,
            threads=spec.threads,
            cgroup=spec.cgroup,
        )
        submission.spawn()  # the worker imports the candidate's libraries while pytest starts up here
        start_grader_imports(grader_dir)
    if str(grader_dir) not in sys.path:
        sys.path.insert(0, str(grader_dir))  # helper modules beside the checks import by name
    import pytest

    from harness.grader.plugin import GradingPlugin

    progress_file = Path(spec.results_file).with_name(PROGRESS_FILE_NAME)
    plugin = GradingPlugin(submission=submission, secret=secret, progress=lambda event: _append(progress_file, event))
    files = [str(grader_dir / PUBLIC_CHECKS_FILE)]
    if spec.include_hidden and (grader_dir / HIDDEN_CHECKS_FILE).exists():
        files.append(str(grader_dir / HIDDEN_CHECKS_FILE))
    if spec.only:  # just these checks: pytest node ids
        files = [
            str(grader_dir / check_id)
            for check_id in spec.only
            if spec.include_hidden or not check_id.startswith(HIDDEN_CHECKS_FILE)
        ]
    arguments = [
        *files,
        "--rootdir",
        str(grader_dir),
        "--confcutdir",
        str(grader_dir),
        "-c",
        os.devnull,
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-W",
        "ignore::DeprecationWarning",
        "--tb=no",
        "-q" if quiet else "-v",
    ]
    if spec.stop_at_first_failure:
        arguments.append("-x")
    error = None
    try:
        # Only our plugin: no third-party pytest plugin installed beside the grader loads (or costs time).
        autoload = os.environ.get(AUTOLOAD_VARIABLE)
        os.environ[AUTOLOAD_VARIABLE] = "1"
        try:
            exit_code = pytest.main(arguments, plugins=[plugin])
        finally:
            if autoload is None:
                os.environ.pop(AUTOLOAD_VARIABLE, None)
            else:
                os.environ[AUTOLOAD_VARIABLE] = autoload
        if plugin.collection_errors:
            error = "the grader could not be loaded: " + "; ".join(plugin.collection_errors)
        elif exit_code not in (0, 1):
            error = f"pytest ended with exit code {int(exit_code)}"
    finally:
        submission.close()
    checks = plugin.results()
    for check in checks:
        if check.outcome is Outcome.NOT_RUN and not check.output:
            check.output = "this check did not run"
    import_note = ""
    if submission.cell_errors:
        import_note = (
            "These notebook cells raised an error when run; the other cells still count:\n"
            + "\n".join(
                f"  cell {error.get('cell')}: {error.get('type')}: {error.get('message')}\n{error.get('traceback', '')}"
                for error in submission.cell_errors
            )
            + "\n"
        )
    if submission.import_output:
        import_note += "Output while importing your module:\n" + submission.import_output
    errors = [check for check in checks if check.outcome is Outcome.ERROR]
    if errors and error is None:
        error = f"the grader could not judge {len(errors)} check(s): " + "; ".join(
            f"{check.check_id}: {check.output[:300]}" for check in errors
        )
    return RunResult(
        exercise=exercise.slug,
        seed=spec.seed,
        checks=checks,
        output=import_note,
        error=error,
        durations={
            "grader_seconds": round(time.perf_counter() - started, 3),
            "candidate_cpu_seconds": round(submission.cpu_seconds, 3),
            "worker_peak_rss_mb": round(submission.peak_rss_mb, 1),
            "worker_starts": float(submission.starts),
        },
        versions=library_versions(),
        data_secret=secret.fingerprint,
        retryable=bool(errors) and all(check.check_id in plugin.retryable for check in errors),
    )


def _append(path: Path, event: dict) -> None:
    """Add one progress event; progress is a courtesy, so a failure to write it is ignored."""
    try:
        with open(path, "a", encoding="ascii") as handle:
            handle.write(json.dumps(event, ensure_ascii=True) + "\n")
    except OSError:
        pass


def failed_run(spec: RunSpec | None, grader_dir: Path | None, message: str) -> RunResult:
    """A result saying the grader failed before it could judge anything: every declared check not run."""
    exercise: Exercise | None = None
    try:
        exercise = load_exercise(grader_dir) if grader_dir is not None else None
    except Exception:
        exercise = None
    specs = exercise.checks_for(include_hidden=spec.include_hidden) if exercise and spec else ()
    return RunResult.unrun(
        exercise=exercise.slug if exercise else "unknown",
        seed=spec.seed if spec else 0,
        specs=specs,
        message="not run: the grader failed",
        error=message,
        versions=library_versions(),
    )


def write_result(result: RunResult, path: Path) -> None:
    """Write the result atomically, as ASCII JSON, so that no text in it can make writing fail."""
    temporary = path.with_suffix(".partial")
    temporary.write_text(json.dumps(result.clean().to_json(), indent=2, ensure_ascii=True), encoding="ascii")
    temporary.replace(path)


def _user(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _await_file(path: Path, *, poll_seconds: float = 0.02) -> Path:
    """Wait until ``path`` exists (the host writes it whole, then renames it into place).

    A standby container nobody assigns ends at its own time limit, or when the host removes it.
    """
    while not path.exists():
        time.sleep(poll_seconds)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", type=Path, help="the run specification (read, then removed)")
    parser.add_argument(
        "--standby",
        action="store_true",
        help="start warm for --grader-dir, then read the spec's path from standard input",
    )
    parser.add_argument("--grader-dir", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-user", type=_user)
    parser.add_argument(
        "--await-spec", type=Path, help="standby in a container: wait for this file instead of standard input"
    )
    parser.add_argument("--cgroup")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    if options.standby == (options.spec is not None) or (options.standby and options.grader_dir is None):
        parser.error("give either --spec, or --standby with --grader-dir")
    standby = None
    if options.standby:
        pin_own_threads(options.threads)
        standby = start_standby(
            grader_dir=options.grader_dir,
            threads=options.threads,
            worker_user=options.worker_user,
            cgroup=options.cgroup,
        )
        if options.await_spec is not None:
            options.spec = _await_file(options.await_spec)
        else:
            line = sys.stdin.readline().strip()
            options.spec = Path(line) if line else None
        if options.spec is None:
            standby.submission.close()
            return 0  # never assigned: the host no longer needs it
    try:
        spec = RunSpec.read(options.spec)
    except BadRunSpec as problem:
        print(f"grader: {problem}", file=sys.stderr)
        if standby is not None:
            standby.submission.close()
        return 2
    pin_own_threads(spec.threads)
    try:
        result = run_checks(spec=spec, quiet=not options.verbose, standby=standby)
    except Exception as error:  # the grader itself failed: say so in a result the host can read
        result = failed_run(spec, Path(spec.grader_dir), f"the grader failed: {type(error).__name__}: {error}")
    write_result(result, Path(spec.results_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
