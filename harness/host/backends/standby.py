"""Standby grading runs: started before their submission is known, taken by the next run that matches.

While :func:`keep_warm` is active (``grade --watch``, batches), a backend's run takes a standby made
for the same exercise, files, threads and user, and starts the next one at once, so the libraries
of run N+1 are imported while run N grades. A standby is a new grader and worker (a new container on
docker) that will serve exactly one submission: nothing of one submission reaches another.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Protocol


class Standby(Protocol):
    key: tuple

    def waiting(self) -> bool:
        """Still alive and not yet assigned."""

    def close(self) -> None:
        """End it and remove what it holds."""


def run_key(request, *extra: object) -> tuple:
    """What a standby was started for: the exercise, its staged grader files as they are now (a changed file
    makes a new standby), hidden checks or not, threads, and what else the backend names in ``extra``."""
    files = tuple(
        (str(relative), source.stat().st_mtime_ns, source.stat().st_size)
        for source, relative in request.exercise.grader_files(include_hidden=request.include_hidden)
    )
    return (*extra, request.exercise.slug, request.include_hidden, request.threads, files)


class StandbyPool:
    """Warm grader processes (each with a worker that has imported its exercise's libraries), by key.

    Only while :func:`keep_warm` is active (watch mode, batches): a run takes a matching standby
    and starts the next one at once, so the TensorFlow import of run N+1 overlaps with run N.
    A standby holds nothing of any submission: a new process pair, assigned exactly one submission.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Standby] = []
        self._users = 0

    @property
    def enabled(self) -> bool:
        return self._users > 0

    def take(self, key: tuple) -> Standby | None:
        if not self.enabled:
            return None
        with self._lock:
            for index, launched in enumerate(self._waiting):
                if launched.key == key and launched.waiting():
                    return self._waiting.pop(index)
        return None

    def add(self, launched: Standby) -> None:
        with self._lock:
            self._waiting.append(launched)
            stale = self._waiting[:-MAX_STANDBYS]
            del self._waiting[:-MAX_STANDBYS]
        for old in stale:
            old.close()

    @contextlib.contextmanager
    def kept_warm(self):
        with self._lock:
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                ended = self._waiting if self._users == 0 else []
                if self._users == 0:
                    self._waiting = []
            for launched in ended:
                launched.close()


MAX_STANDBYS = 4
STANDBYS = StandbyPool()
keep_warm = STANDBYS.kept_warm  # ``with keep_warm(): ...`` in watch mode and batches


def available_cores() -> int:
    """The cores this process may run on (its affinity), not the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def keep_warm_below_cores(jobs: int):
    """``keep_warm()`` while fewer than all cores grade at once; with ``jobs`` >= cores, no standbys.

    A standby imports its libraries while the runs grade: with a core to spare that hides the import,
    with every core busy it only competes. Measured on 2 cores: 6 cnn at ``-j 2`` took 46.0 s without
    standbys and 54.2 s with them; a selftest at ``-j 2`` 61 s with them, against 47 s at ``-j 1``.
    """
    return keep_warm() if jobs < available_cores() else contextlib.nullcontext()
