"""Print the median per-run overhead of the docker backend over the local one.

    python benchmarks/docker_overhead.py [--runs 5] [SLUG ...]

Each exercise's reference solution (and ``trivial``, a one-check exercise made
on the fly, which shows the bare container cost) is graded ``--runs`` times on
each backend, alternating, with the same seed; the per-check outcomes must
agree between the backends.  Target (issue 3): overhead of 1.5 s or less per run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_load import check_load  # noqa: E402

from harness.authoring.proof_runs import SELFTEST_SECRET  # noqa: E402
from harness.host.backends.base import RunRequest  # noqa: E402
from harness.host.backends.docker import DockerBackend  # noqa: E402
from harness.host.backends.local import LocalBackend  # noqa: E402
from harness.host.staging import stage_submission  # noqa: E402
from harness.project import get_exercise, load_exercise  # noqa: E402

PILOTS = ("cnn", "conv_layer", "word2vec")
TRIVIAL_CHECKS = (
    "import pytest\n\n@pytest.mark.points(1)\ndef test_add(submission):\n    assert submission.add(1, 2) == 3\n"
)


def trivial_request(folder: Path) -> RunRequest:
    """Write a one-check exercise and its solution into ``folder``."""
    grader, submission = folder / "grader", folder / "submission"
    grader.mkdir()
    submission.mkdir()
    (grader / "exercise.toml").write_text(
        'slug = "trivial"\ntitle = "Trivial"\nmodule = "trivial.py"\ntime_budget_seconds = 30\n'
    )
    (grader / "test_public.py").write_text(TRIVIAL_CHECKS)
    (submission / "trivial.py").write_text("def add(a, b):\n    return a + b\n")
    return RunRequest(
        exercise=load_exercise(grader),
        submission_dir=submission,
        module_file="trivial.py",
        seed=0,
        include_hidden=False,
        data_secret=SELFTEST_SECRET,
    )


def pilot_request(slug: str, folder: Path) -> RunRequest:
    """Stage the reference solution of ``slug`` into ``folder``."""
    exercise = get_exercise(slug)
    staged = stage_submission(ROOT / "solutions" / slug, folder / "submission", module=exercise.module)
    return RunRequest(
        exercise=exercise,
        submission_dir=staged.directory,
        module_file=staged.module_file,
        seed=0,
        include_hidden=True,
        data_secret=SELFTEST_SECRET,
    )


def verdicts(output) -> dict[str, tuple[str, float]]:
    if output.result is None:
        raise RuntimeError(f"no result: {output.failure}\n{output.log[-2000:]}")
    return {test["check_id"]: (test["outcome"], test["score"]) for test in output.result["tests"]}


def measure(request: RunRequest, backends: dict, runs: int) -> dict[str, list[float]]:
    """Run ``request`` ``runs`` times on each backend, alternating; check the verdicts agree."""
    times: dict[str, list[float]] = {name: [] for name in backends}
    seen: dict[str, dict] = {}
    for _ in range(runs):
        for name, backend in backends.items():
            started = time.perf_counter()
            output = backend.run(request)
            times[name].append(time.perf_counter() - started)
            seen[name] = verdicts(output)
    if seen["docker"] != seen["local"]:
        differing = {
            key: (seen["local"].get(key), seen["docker"].get(key))
            for key in seen["local"].keys() | seen["docker"].keys()
            if seen["local"].get(key) != seen["docker"].get(key)
        }
        raise RuntimeError(f"{request.exercise.slug}: local and docker disagree: {differing}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", help="exercises (default: trivial and the pilots that exist)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--force", action="store_true", help="measure even on a busy machine")
    options = parser.parse_args()
    if not check_load(options.force):
        return 2
    slugs = options.slugs or ["trivial", *(slug for slug in PILOTS if (ROOT / "solutions" / slug).is_dir())]
    backends = {"local": LocalBackend(), "docker": DockerBackend()}
    print(f"image {backends['docker'].image}, {options.runs} runs per backend")
    print(f"{'exercise':<12} {'local (median)':>15} {'docker (median)':>16} {'overhead':>9}")
    overheads = []
    for slug in slugs:
        with tempfile.TemporaryDirectory(prefix="docker-overhead-") as folder:
            request = trivial_request(Path(folder)) if slug == "trivial" else pilot_request(slug, Path(folder))
            times = measure(request, backends, options.runs)
        local, docker = statistics.median(times["local"]), statistics.median(times["docker"])
        overheads.append(docker - local)
        print(f"{slug:<12} {local:>13.2f} s {docker:>14.2f} s {docker - local:>7.2f} s")
    print(f"median overhead per run: {statistics.median(overheads):.2f} s (target: 1.5 s or less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
