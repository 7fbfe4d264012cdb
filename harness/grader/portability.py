"""What this machine lets the grader enforce on the worker, and the portable way when it cannot.

On Linux the grader reads ``/proc`` for CPU time, memory and waiting, keeps descendants with a
subreaper or a cgroup, limits address space, and talks to the worker over private pipes it
passes as file descriptors.  Elsewhere:

- **macOS and other POSIX systems**: no ``/proc``, no subreaper, no cgroups.  CPU time and memory
  are read with psutil over the worker and its descendants (a child that calls ``setsid()`` can
  escape that), and the address-space limit still holds;
- **Windows**: no file descriptors to pass, no ``select`` on pipes, no ``fork``: the worker talks
  over its standard input and output (what the candidate's code prints goes to standard error),
  replies are read by a thread, and memory is limited only by polling.

``GRADE_PORTABLE=posix`` or ``=windows`` makes a Linux machine take those paths, so that tests
cover them here.
"""

from __future__ import annotations

import os
import sys

PORTABLE_VARIABLE = "GRADE_PORTABLE"


def mode() -> str:
    """``linux``, ``posix`` or ``windows``: which of the grader's paths this machine takes."""
    forced = os.environ.get(PORTABLE_VARIABLE, "").strip().lower()
    if forced in ("posix", "windows"):
        return forced
    if sys.platform.startswith("linux") and os.path.exists("/proc/self/stat"):
        return "linux"
    return "windows" if sys.platform == "win32" else "posix"


def limits_not_enforced() -> list[str]:
    """What the local backend cannot promise here, in a few words each (empty on Linux)."""
    current = mode()
    if current == "linux":
        return []
    missing = ["children that leave their process group are not followed"]
    if current == "windows":
        missing += ["memory is limited only by polling (a sudden allocation can pass the limit)"]
    try:
        import psutil  # noqa: F401
    except ImportError:
        missing += [
            "CPU budgets count wall-clock seconds (install psutil to count CPU seconds)",
            "memory is not measured",
        ]
    return missing
