"""Print the throughput of `grade batch` (submissions per minute) at -j 1 and -j 2 on copies of a reference solution.

    python benchmarks/batch_throughput.py [--slug cnn] [--copies 20] [--jobs 1 2] [--backend auto]
                                          [--standbys auto on off] [--force]

Each setting grades the copies into a fresh gradebook (so nothing is skipped),
and the scaling is the throughput at each -j divided by that at the first.
Issue 5 asks for 20 copies of the cnn solution at -j 1 and -j 2. The load average is
printed first; above 1.5 per core the run is refused (``--force`` runs it anyway).

``--standbys off`` grades as batches did before warm standbys (issue 17): every run
starts its grader and worker, and imports the exercise's libraries, only when its turn
comes. ``on`` always starts the next run's while one grades. ``auto`` (what ``grade batch``
does) keeps standbys only below one job per core, where they do not compete with the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_load import check_load  # noqa: E402

import harness.host.batch.runner as batch_runner  # noqa: E402
from harness.host.backends.standby import keep_warm  # noqa: E402
from harness.host.batch.gradebook import Gradebook  # noqa: E402
from harness.host.batch.runner import run_batch  # noqa: E402
from harness.project import UnknownExercise, get_exercise  # noqa: E402


def make_copies(solution: Path, slug: str, copies: int, folder: Path) -> Path:
    """Write ``copies`` candidates, each holding the solution as the folder ``<slug>/``."""
    submissions = folder / "submissions"
    for number in range(1, copies + 1):
        shutil.copytree(
            solution,
            submissions / f"candidate_{number:03d}" / slug,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return submissions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="cnn", help="exercise whose reference solution is copied")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backend", default="auto", choices=("auto", "local", "docker"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--standbys",
        nargs="+",
        default=["auto"],
        choices=("auto", "on", "off"),
        help="warm standbys: below one job per core (auto), always, never",
    )
    parser.add_argument("--force", action="store_true", help="measure even on a busy machine")
    options = parser.parse_args()
    if not check_load(options.force):
        return 2
    solution = ROOT / "solutions" / options.slug
    try:
        exercise = get_exercise(options.slug)
    except UnknownExercise as problem:
        print(f"cannot benchmark: {problem}", file=sys.stderr)
        return 2
    if not solution.is_dir():
        print(f"cannot benchmark: {solution} does not exist yet", file=sys.stderr)
        return 2
    print(f"{options.copies} copies of solutions/{options.slug}, backend {options.backend}")
    print(
        f"{'standbys':>8} {'jobs':>4} {'wall (s)':>9} {'per minute':>11} {'scaling':>8} "
        f"{'mean score':>11} {'errors':>7}"
    )
    baseline = None
    policies = {
        "auto": batch_runner.keep_warm_below_cores,
        "on": lambda jobs: keep_warm(),
        "off": lambda jobs: contextlib.nullcontext(),
    }
    with tempfile.TemporaryDirectory(prefix="batch-throughput-") as scratch:
        submissions = make_copies(solution, options.slug, options.copies, Path(scratch))
        for standbys in options.standbys:
            for jobs in options.jobs:
                gradebook = Path(scratch) / f"gradebook-{standbys}-j{jobs}.sqlite"
                batch_runner.keep_warm_below_cores = policies[standbys]  # type: ignore[assignment]
                started = time.perf_counter()
                try:
                    summary = run_batch(
                        submissions_dir=submissions,
                        gradebook=gradebook,
                        exercises=[exercise.slug],
                        jobs=jobs,
                        seed=options.seed,
                        backend=options.backend,
                        include_hidden=True,
                    )
                finally:
                    batch_runner.keep_warm_below_cores = policies["auto"]  # type: ignore[assignment]
                wall = time.perf_counter() - started
                baseline = _print_row(standbys, jobs, wall, summary, gradebook, baseline)
    return 0


def _print_row(standbys: str, jobs: int, wall: float, summary, gradebook: Path, baseline: float | None) -> float:
    """Print one setting's row; return the throughput the scaling column is relative to."""
    results = [entry.result for entry in Gradebook(gradebook).entries()]
    per_minute = 60 * summary.graded / wall
    baseline = baseline or per_minute
    mean = sum(result.score for result in results) / len(results)
    print(
        f"{standbys:>8} {jobs:>4} {wall:>9.1f} {per_minute:>11.1f} {per_minute / baseline:>7.2f}x "
        f"{mean:>7.2f}/{results[0].max_score:g} {summary.errors:>7}"
    )
    return baseline


if __name__ == "__main__":
    sys.exit(main())
