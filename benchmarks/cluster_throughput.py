"""Print batch throughput on one machine and on a Dask cluster, with the cluster's overhead per task.

    python benchmarks/cluster_throughput.py [--slug conv_layer] [--copies 12] [--force]

The same cohort (copies of the reference solution, each a distinct file) is graded three ways, each
into a fresh gradebook:

1. local, ``-j 2`` (threads, each grading in its own subprocesses);
2. ``--cluster local:2`` (a LocalCluster of two single-threaded worker processes);
3. a real ``dask scheduler`` and two ``dask worker`` processes with one thread each, on 127.0.0.1.

For each it prints submissions per minute, the wall time per task beyond the grading itself (the
overhead: shipping, scheduling, validating), that overhead as a share of the grading time, and the
bytes shipped per task.  Scheduling overhead is the cluster's overhead minus the local run's,
measured in the same run.  A machine whose load average is above half its cores makes the figures
meaningless: the run is refused unless --force.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine_load import check_load  # noqa: E402

from harness.host.batch.gradebook import Gradebook  # noqa: E402
from harness.host.batch.runner import run_batch  # noqa: E402
from harness.project import get_exercise  # noqa: E402

PARALLELISM = 2


def make_cohort(slug: str, copies: int, folder: Path) -> Path:
    """``copies`` candidates, each the reference solution with a comment of its own (so no two are the same file)."""
    exercise = get_exercise(slug)
    source = (ROOT / "solutions" / slug / exercise.module).read_text()
    for number in range(copies):
        target = folder / f"candidate_{number:03d}" / exercise.module
        target.parent.mkdir(parents=True)
        target.write_text(f"# candidate {number}\n{source}")
    return folder


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_real_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                f"127.0.0.1:{free_port()}",
            ],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    address = f"tcp://127.0.0.1:{port}"
    for number in range(workers):
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--name",
                    f"bench-{number}",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes


def measure(label: str, submissions: Path, gradebook: Path, slug: str, **options) -> dict:
    started = time.perf_counter()
    summary = run_batch(
        submissions_dir=submissions, gradebook=gradebook, exercises=[slug], include_hidden=True, **options
    )
    wall = time.perf_counter() - started
    results = [entry.result for entry in Gradebook(gradebook).entries()]
    grading = sum(result.durations.get("total_seconds", 0.0) for result in results) / len(results)
    per_task = wall * PARALLELISM / len(results)
    shipped = summary.cluster.bytes_shipped / max(summary.cluster.tasks, 1) if summary.cluster else 0
    return {
        "label": label,
        "wall": wall,
        "per_minute": 60 * len(results) / wall,
        "grading": grading,
        "overhead": per_task - grading,
        "shipped": shipped,
        "errors": summary.errors,
        "scores": sorted({round(result.score, 3) for result in results}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slug", default="conv_layer")
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--force", action="store_true", help="run even on a loaded machine")
    options = parser.parse_args()
    print(f"{options.copies} copies of solutions/{options.slug}")
    if not check_load(options.force, limit=0.5):  # the cluster's overhead is small: other load would swamp it
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="cluster-throughput-") as scratch:
        submissions = make_cohort(options.slug, options.copies, Path(scratch) / "submissions")
        rows.append(
            measure(
                "local -j 2",
                submissions,
                Path(scratch) / "local.sqlite",
                options.slug,
                jobs=PARALLELISM,
                backend="local",
            )
        )
        rows.append(
            measure(
                "--cluster local:2",
                submissions,
                Path(scratch) / "localcluster.sqlite",
                options.slug,
                cluster=f"local:{PARALLELISM}",
            )
        )
        address, processes = start_real_cluster(PARALLELISM)
        try:
            rows.append(
                measure(
                    "2 dask workers x 1 thread",
                    submissions,
                    Path(scratch) / "real.sqlite",
                    options.slug,
                    cluster=address,
                )
            )
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
    local_overhead = rows[0]["overhead"]
    print(
        f"{'setting':<28}{'wall s':>8}{'per min':>9}{'grading s':>11}{'overhead s':>12}{'of grading':>12}"
        f"{'scheduling s':>14}{'KiB/task':>10}{'errors':>8}  scores"
    )
    for row in rows:
        scheduling = row["overhead"] - local_overhead
        print(
            f"{row['label']:<28}{row['wall']:>8.1f}{row['per_minute']:>9.1f}{row['grading']:>11.2f}"
            f"{row['overhead']:>12.2f}{100 * row['overhead'] / row['grading']:>11.1f}%"
            f"{scheduling:>14.2f}{row['shipped'] / 1024:>10.1f}{row['errors']:>8}  {row['scores']}"
        )
    real = rows[-1]
    per_task = real["grading"] + real["overhead"]
    print(
        f"\nOn paper: 2,000 candidates x 8 exercises = 16,000 tasks at {per_task:.1f} s each (this exercise) "
        f"on 50 single-threaded workers: {16_000 * per_task / 50 / 3600:.1f} h"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
