"""A rich progress bar for a batch: done of total, full, partial and zero scores, errors, and the time left."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from harness.host.batch.gradebook import GradebookEntry
from harness.host.batch.runner import BatchObserver
from harness.wire.results import Status


def kind_of(entry: GradebookEntry) -> str:
    """Sort a result into full marks, partial, zero or error (the grading itself failed)."""
    result = entry.result
    if result.status is Status.ERROR:
        return "errors"
    if result.status is Status.PASS:
        return "full"
    return "partial" if result.score > 0 else "zero"


class ProgressBar(BatchObserver):
    """Show a batch's progress on a console; use it as a context manager around the batch."""

    def __init__(self, console: Console):
        self.console = console
        self.counts: dict[str, Any] = {"full": 0, "partial": 0, "zero": 0, "errors": 0}
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("[bold]grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]{task.fields[full]} full[/green] [yellow]{task.fields[partial]} partial[/yellow] "
                "[magenta]{task.fields[zero]} zero[/magenta] [red]{task.fields[errors]} errors[/red]"
            ),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(self, *exception) -> None:
        self._progress.stop()

    def start(self, *, total: int, skipped: int) -> None:
        if skipped:
            self.console.print(f"{skipped} results already in the gradebook: skipped")
        self._task = self._progress.add_task("grading", total=total, **self.counts)

    def recorded(self, entry: GradebookEntry) -> None:
        with self._lock:
            self.counts[kind_of(entry)] += 1
            if self._task is not None:
                self._progress.update(self._task, advance=1, **self.counts)
