"""The docker benchmark still runs against the engine: a benchmark nobody can run measures nothing.

``benchmarks/docker_overhead.py`` builds its RunRequests by hand, so it broke silently when a run
started to need a data secret; this runs it on its one-check exercise, where a run takes a second.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.docker
@pytest.mark.slow
def test_docker_overhead_benchmark_runs(docker_backend):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "docker_overhead.py"), "--runs", "1", "--force", "trivial"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "load average" in completed.stdout
    row = next(line for line in completed.stdout.splitlines() if line.startswith("trivial"))
    local, docker = (float(field) for field in row.split()[1:5:2])
    assert local > 0 and docker > 0, row
