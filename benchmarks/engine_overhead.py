"""Print, per pilot exercise, the wall time and peak memory of `grade` on the local backend,
and the ratio of that wall time to running the same candidate calls directly in one process.

    python benchmarks/engine_overhead.py [--runs 5] [SLUG ...]

Targets (issue 2): each exercise under 12 s; engine overhead ratio at most 1.3.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PILOTS = ("cnn", "conv_layer", "word2vec")
MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, code)
"""


def timed(command: list[str], environment: dict) -> tuple[float, float]:
    """Run ``command`` in a fresh process; return its wall seconds and the peak RSS (MB) of its largest process."""
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=environment, check=True
    ).stdout.split()
    if output[2] != "0":
        raise RuntimeError(f"{command} exited with {output[2]}")
    return float(output[0]), float(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", default=list(PILOTS))
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    grade = str(Path(sys.executable).with_name("grade"))
    print(
        f"{'exercise':<12} {'grade wall (median)':>20} {'peak RSS':>10} {'worker RSS':>11} "
        f"{'direct calls':>13} {'ratio':>6}"
    )
    for slug in options.slugs:
        walls, memories, directs, workers = [], [], [], []
        for _ in range(options.runs):
            with tempfile.TemporaryDirectory() as folder:
                recording = Path(folder) / "calls.bin"
                result_file = Path(folder) / "result.json"
                environment = dict(os.environ, GRADE_RECORD_CALLS=str(recording))
                wall, memory = timed(
                    [
                        grade,
                        str(ROOT / "solutions" / slug),
                        "--backend",
                        "local",
                        "--include-hidden",
                        "--json",
                        str(result_file),
                    ],
                    environment,
                )
                result = json.loads(result_file.read_text())
                if result["score"] != result["max_score"]:
                    raise RuntimeError(f"{slug}: the reference scored {result['score']}/{result['max_score']}")
                workers.append(result["durations"].get("worker_peak_rss_mb", 0.0))
                module = ROOT / "solutions" / slug / f"{slug}.py"
                direct, _ = timed(
                    [sys.executable, str(ROOT / "benchmarks" / "replay_calls.py"), str(module), str(recording)],
                    dict(os.environ, PYTHONPATH=str(ROOT)),
                )
                walls.append(wall)
                memories.append(memory)
                directs.append(direct)
        wall, direct = statistics.median(walls), statistics.median(directs)
        print(
            f"{slug:<12} {wall:>18.2f} s {max(memories):>7.0f} MB {max(workers):>8.0f} MB "
            f"{direct:>11.2f} s {wall / direct:>6.2f}"
        )


if __name__ == "__main__":
    main()
