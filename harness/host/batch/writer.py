"""Write results to the gradebook from one thread, one transaction each, as the grading threads finish them."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace

from harness.host.batch.gradebook import Gradebook, GradebookEntry, GradebookError
from harness.wire.results import RunResult
from harness.wire.text import clean_name, clean_text


class GradebookWriter:
    """Write entries to the gradebook from one thread, one transaction each, as they arrive."""

    _STOP = object()

    def __init__(self, gradebook: Gradebook, *, on_written: Callable[[GradebookEntry], None] = lambda entry: None):
        self.gradebook = gradebook
        self.on_written = on_written
        self.failure: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gradebook-writer", daemon=True)

    def __enter__(self) -> GradebookWriter:
        self._thread.start()
        return self

    def __exit__(self, *exception) -> None:
        self._queue.put(self._STOP)
        self._thread.join()
        if self.failure is not None and exception[0] is None:
            raise GradebookError(f"could not write to {self.gradebook.path}: {self.failure}") from self.failure

    def put(self, entry: GradebookEntry) -> None:
        """Queue an entry to be written."""
        if self.failure is not None:
            raise GradebookError(f"could not write to {self.gradebook.path}: {self.failure}") from self.failure
        self._queue.put(entry)

    def _record_as_error(
        self, connection: sqlite3.Connection, entry: GradebookEntry, error: Exception
    ) -> GradebookEntry | None:
        """Record a grading error in place of an entry that could not be written; stop only if that fails too."""
        result = RunResult.unrun(
            exercise=entry.result.exercise,
            seed=entry.result.seed,
            specs=[],
            message="",
            error=f"the result could not be written to the gradebook: {type(error).__name__}: {clean_text(error)}",
        )
        result.checks = [replace(check, score=0.0) for check in entry.result.checks]
        fallback = replace(
            entry, candidate=clean_name(entry.candidate), source=clean_name(entry.source), result=result.clean()
        )
        try:
            self.gradebook.record(connection, fallback)
        except BaseException as second:
            self.failure = second
            return None
        return fallback

    def _run(self) -> None:
        connection = self.gradebook.connect()
        try:
            while (entry := self._queue.get()) is not self._STOP:
                if self.failure is not None:
                    continue
                try:
                    self.gradebook.record(connection, entry)
                except Exception as error:
                    entry = self._record_as_error(connection, entry, error)
                    if entry is None:
                        continue
                self.on_written(entry)
        finally:
            connection.close()
