"""End every ``grade`` command the same way: a clean message and the exit code of :mod:`harness.errors`."""

from __future__ import annotations

import functools
import sys

from rich.console import Console

from harness.errors import EXIT_INTERRUPTED, GradeError
from harness.host.sinks import say


def exits_cleanly(command):
    """Wrap a click command: a GradeError prints its message and exits with its code; Ctrl-C exits 130."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except GradeError as problem:
            say(Console(stderr=True), "error: ", "red", str(problem))
            sys.exit(problem.exit_code)
        except KeyboardInterrupt:
            say(Console(stderr=True), "interrupted", "yellow", "")
            sys.exit(EXIT_INTERRUPTED)

    return wrapped
