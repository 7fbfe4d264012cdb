"""Grade your notebook from one of its cells: ``from grader import check``, then ``check()``.

See :mod:`harness.host.jupyter`.
"""

from harness.host.jupyter import check

__all__ = ["check"]
