"""The gradings behind ``grade selftest`` and ``grade calibrate``: planned first, then run together.

A proof grades the same exercise dozens of times (every correct solution on every
seed, each mutant, each argument mutant).  Planning them as a list of
:class:`ProofRun` lets them run ``jobs`` at a time, with warm standbys (the next
run's grader and worker import TensorFlow while the current one grades), and lets
one set of gradings both prove an exercise and calibrate it (standbys only below one job per core).

Every run uses the same data secret (``SELFTEST_SECRET`` unless told otherwise), so
a proof repeats exactly on any machine, and in any order: a run's score depends on
its submission, seed and secret only, never on what runs beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.host.backends.standby import keep_warm_below_cores
from harness.host.grading import grade_submission
from harness.wire.results import RunResult

SELFTEST_SECRET = "5e1f7e575e1f7e575e1f7e575e1f7e57"  # public on purpose: selftest proves graders, grades nobody

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ProofRun:
    """One grading of a proof: ``subject`` (e.g. ``variant gru``) at ``path``, on ``seed``."""

    subject: str
    path: Path
    seed: int
    stop_at_first_failure: bool = False


def run_all(
    runs: Iterable[ProofRun],
    *,
    slug: str,
    backend: str,
    data_secret: str,
    jobs: int = 1,
    progress: Progress = lambda message: None,
) -> dict[tuple[str, int], RunResult]:
    """Grade every run of ``slug`` (hidden checks included), ``jobs`` at a time; results by (subject, seed)."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    runs = list(runs)
    keys = [(run.subject, run.seed) for run in runs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{slug}: two proof runs share a subject and seed")

    def grade(run: ProofRun) -> RunResult:
        result = grade_submission(
            path=run.path,
            exercise=slug,
            seed=run.seed,
            backend=backend,
            include_hidden=True,
            data_secret=data_secret,
            stop_at_first_failure=run.stop_at_first_failure,
        )
        seconds = result.durations.get("total_seconds", 0.0)
        progress(f"{slug}: {run.subject}, seed {run.seed}: {result.score:g}/{result.max_score:g} in {seconds:.1f} s")
        return result

    with keep_warm_below_cores(jobs), ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="proof") as pool:
        results = list(pool.map(grade, runs))
    return dict(zip(keys, results, strict=True))
