"""Print what a warm worker saves: re-grading the same submission cold, and warm as in watch mode.

    python benchmarks/warm_worker.py [--runs 5] [--pause 6] [--backend local|docker] [--force] [SLUG ...]

Cold: every run starts its grader process and its worker, and the worker imports the exercise's
libraries (TensorFlow: about 3 s) before the candidate's module. Warm (``keep_warm``, as
``grade --watch`` and batches use it): the next run's grader and worker start while the previous
run grades or while the candidate edits (``--pause`` seconds here), so a re-grade starts at the
candidate's module. First the fixed pieces of a run are timed one by one; each row then splits a
run's wall time into the grader process (``grader``) and the candidate's own CPU time (``candidate``).

Target (issue 17): a cnn re-grade under 3 s in watch mode on this machine. The load average is
printed first; above 1.5 per core the run is refused (``--force`` runs it anyway).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_load import check_load  # noqa: E402

from harness.host.backends.standby import keep_warm  # noqa: E402
from harness.host.grading import grade_submission  # noqa: E402

SECRET = "be" * 16


def timed_runs(slug: str, *, runs: int, pause: float, warm: bool, backend: str) -> list[tuple[float, float, float]]:
    """(wall, grader seconds, candidate CPU seconds) of ``runs`` gradings of the reference solution."""
    rows = []
    for _ in range(runs):
        started = time.perf_counter()
        result = grade_submission(
            path=ROOT / "solutions" / slug, exercise=slug, backend=backend, include_hidden=True, data_secret=SECRET
        )
        wall = time.perf_counter() - started
        if result.score != result.max_score:
            raise SystemExit(f"{slug}: the reference scored {result.score}/{result.max_score}: {result.error}")
        rows.append((wall, result.durations["grader_seconds"], result.durations["candidate_cpu_seconds"]))
        time.sleep(pause if warm else 0.0)  # the candidate edits; a warm standby gets ready meanwhile
    return rows


PIECES = {
    "python start": "pass",
    "CLI import (host)": "import harness.host.cli",
    "grader: pytest + plugin": "import pytest, harness.grader.plugin",
    "worker: harness side": "import harness.worker.server",
    "worker: numpy": "import numpy",
    "worker: tensorflow + keras": "import tensorflow, keras",
}


def breakdown(runs: int) -> None:
    """Print the median wall time of each fixed piece of a run, each in a fresh interpreter."""
    import subprocess

    environment = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    print(f"{'fixed piece':<28} {'wall (median)':>14}")
    for name, statement in PIECES.items():
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            command = [sys.executable, "-P", "-s", "-c", statement]
            subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - started)
        print(f"{name:<28} {statistics.median(walls):>13.2f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", default=["cnn", "conv_layer"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pause", type=float, default=6.0, help="seconds between warm runs (an edit)")
    parser.add_argument("--force", action="store_true", help="run even on a busy machine")
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    options = parser.parse_args()
    if not check_load(options.force):
        return 2
    breakdown(options.runs)
    print(f"{'exercise':<14} {'mode':<5} {'wall (median)':>14} {'grader':>8} {'candidate CPU':>14} {'runs':>5}")
    for slug in options.slugs:
        cold = timed_runs(slug, runs=options.runs, pause=0.0, warm=False, backend=options.backend)
        with keep_warm():
            warm = timed_runs(slug, runs=options.runs + 1, pause=options.pause, warm=True, backend=options.backend)[1:]
        for mode, rows in (("cold", cold), ("warm", warm)):
            wall, grader, candidate = (statistics.median(row[index] for row in rows) for index in range(3))
            print(f"{slug:<14} {mode:<5} {wall:>13.2f}s {grader:>7.2f}s {candidate:>13.2f}s {len(rows):>5}")
        saved = statistics.median(row[0] for row in cold) - statistics.median(row[0] for row in warm)
        print(f"{slug:<14} warm saves {saved:.2f} s per re-grade")
    return 0


if __name__ == "__main__":
    sys.exit(main())
