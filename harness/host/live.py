"""Show a grading run's progress while it runs: which check, how many are done, CPU seconds used.

On a terminal it is one live line that is replaced as checks go; elsewhere (a CI log, a pipe)
one plain line per finished check.  Events come from the grader's progress file (see
:class:`harness.host.backends.base.ProgressTail`).
"""

from __future__ import annotations

from rich.console import Console
from rich.status import Status

from harness.host.sinks import terminal_text


class RunProgress:
    """A progress callback for one run, and the live line it keeps on a terminal."""

    def __init__(self, console: Console):
        self.console = console
        self.live = console.is_terminal
        self._status: Status | None = None

    def __enter__(self) -> RunProgress:
        if self.live:
            self._status = self.console.status("starting the grader and importing your module…")
            self._status.start()
        return self

    def __exit__(self, *exception) -> None:
        if self._status is not None:
            self._status.stop()

    def __call__(self, event: dict) -> None:
        check = str(event.get("check_id", "")).split("::")[-1]
        if event.get("event") == "check" and self._status is not None:
            budget = event.get("budget_seconds")
            used = f"{event.get('cpu_seconds', 0):.1f}" + (f" of {budget:g}" if budget else "")
            self._status.update(
                terminal_text(f"[{event.get('index')}/{event.get('total')}] {check} … {used} CPU-s used")
            )
        elif event.get("event") == "done" and not self.live:
            self.console.print(
                terminal_text(f"{check}: {event.get('outcome')} ({event.get('seconds', 0):.1f} s)"), highlight=False
            )
