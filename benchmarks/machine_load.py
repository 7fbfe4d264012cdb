"""The load check every benchmark makes before it measures: figures from a busy machine mean nothing."""

from __future__ import annotations

import os
import sys

MAX_LOAD_PER_CORE = 1.5


def check_load(force: bool, limit: float = MAX_LOAD_PER_CORE) -> bool:
    """Print the load average; False when it is above ``limit`` per core and ``force`` is not given."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    averages = " ".join(f"{value:.2f}" for value in load)
    print(f"{cores} cores, load average {averages} at start ({load[0] / cores:.2f} per core)")
    if load[0] / cores > limit and not force:
        print(f"refusing to measure above {limit} per core; wait, or pass --force", file=sys.stderr)
        return False
    return True
