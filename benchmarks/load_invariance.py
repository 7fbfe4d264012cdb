"""Print each subject's score and check outcomes on an idle machine, at -j 4, and at -j 4 beside a CPU hog.

    python benchmarks/load_invariance.py [SLUG ...] [--mutants] [--conditions idle j4 j4+hog]

A grading run is a pure function of (submission, grader, secret, image): budgets count the
candidate's CPU seconds, threads are fixed and TensorFlow's ops deterministic.  This proves it:
every subject (the reference solution of each exercise, and with ``--mutants`` every mutant too)
is graded with the same data secret under each condition, and the per-check outcomes must be
identical.  The table shows the scores and "same" or the checks that differ; the exit code is 1
if any subject differs, or if a reference solution lost a point anywhere.

- ``idle``: one grading at a time;
- ``j4``: four gradings at once (twice the cores of the machine this was written on);
- ``j4+hog``: the same, with one busy process per core running beside them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_load import check_load  # noqa: E402

from harness.authoring.mutants import exercise_mutants, materialize  # noqa: E402
from harness.authoring.proof_runs import SELFTEST_SECRET  # noqa: E402
from harness.host.grading import grade_submission  # noqa: E402
from harness.project import all_exercises, get_exercise  # noqa: E402

CONDITIONS = ("idle", "j4", "j4+hog")


def _burn(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def grade_all(subjects: list[tuple[str, str, Path]], jobs: int) -> dict[tuple[str, str], tuple]:
    """Grade every (exercise, subject, path) with ``jobs`` at once; return score and outcomes of each."""

    def one(subject):
        slug, name, path = subject
        result = grade_submission(
            path=path, exercise=slug, seed=0, backend="local", include_hidden=True, data_secret=SELFTEST_SECRET
        )
        outcomes = tuple((check.check_id, check.outcome.value) for check in result.checks)
        return (slug, name), (result.score, result.max_score, outcomes, result.durations.get("total_seconds", 0.0))

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(pool.map(one, subjects))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*")
    parser.add_argument("--mutants", action="store_true", help="grade every mutant too, not only the solutions")
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    options = parser.parse_args()
    exercises = [get_exercise(slug) for slug in options.slugs] or all_exercises()
    print(f"{len(exercises)} exercises")
    # the 'idle' column means nothing on a busy machine; the loaded conditions make their own load
    if not check_load("idle" not in options.conditions, limit=0.75):
        return 2
    with tempfile.TemporaryDirectory(prefix="load-invariance-") as scratch:
        subjects = []
        for exercise in exercises:
            subjects.append((exercise.slug, "solution", exercise.solution_dir))
            if options.mutants:
                for mutant in exercise_mutants(exercise):
                    path = materialize(exercise, mutant, Path(scratch) / exercise.slug / mutant.name / exercise.slug)
                    subjects.append((exercise.slug, f"mutant {mutant.name}", path))
        results = {}
        for condition in options.conditions:
            stop = multiprocessing.Event()
            hogs = (
                [multiprocessing.Process(target=_burn, args=(stop,)) for _ in range(os.cpu_count() or 1)]
                if condition == "j4+hog"
                else []
            )
            for hog in hogs:
                hog.start()
            started = time.perf_counter()
            try:
                results[condition] = grade_all(subjects, 1 if condition == "idle" else 4)
            finally:
                stop.set()
                for hog in hogs:
                    hog.join()
            print(f"{condition}: {len(subjects)} gradings in {time.perf_counter() - started:.0f} s")
    first = options.conditions[0]
    header = f"{'exercise':<24} {'subject':<40} " + " ".join(f"{condition:>9}" for condition in options.conditions)
    print(header + "  outcomes")
    differing = lost = 0
    for key in results[first]:
        scores = [results[condition][key] for condition in options.conditions]
        cells = " ".join(f"{score:>4g}/{maximum:<4g}" for score, maximum, _, _ in scores)
        changed = sorted(
            {check for _, _, outcomes, _ in scores for check in outcomes}
            - set.intersection(*[set(outcomes) for _, _, outcomes, _ in scores])
        )
        differing += bool(changed)
        if key[1] == "solution":
            lost += any(score < maximum for score, maximum, _, _ in scores)
        verdict = "same" if not changed else "DIFFER: " + ", ".join(f"{check}={outcome}" for check, outcome in changed)
        print(f"{key[0]:<24} {key[1][:40]:<40} {cells}  {verdict}")
    print(f"{differing} subjects differ between conditions; {lost} reference solutions lost points")
    return 1 if differing or lost else 0


if __name__ == "__main__":
    sys.exit(main())
