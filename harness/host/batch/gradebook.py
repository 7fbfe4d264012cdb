"""The gradebook: one SQLite file holding the current result of every candidate for every exercise.

Each row is keyed by (candidate, exercise) and records the task key it is the
result of: the hashes of the submission and of the grader, the image and the
seed.  A task whose key is already recorded is not graded again.  Rows are
written one transaction each, from one thread, in WAL mode with full sync, so a
batch killed at any moment leaves every finished result and no partial one.
Every write is also appended to ``gradings``, the log that shows nothing was
graded twice.

Beside the gradebook, ``<gradebook>.secret`` (mode 0600) keeps the data secret
the checks draw their data from and a key that signs every row (HMAC-SHA256).
A row changed by anything but the grader no longer matches its signature: it is
graded again on the next run, and exports show it as a grading error.  (The
signature helps only where the file is out of the submission's reach: the
docker backend, or the local backend running workers as another user.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness.errors import BadInput
from harness.host.batch.keys import TaskKey
from harness.wire.results import RunResult
from harness.wire.spec import new_salt, parse_salt
from harness.wire.text import clean_name, clean_text

SCHEMA_VERSION = "2"
SECRETS_SUFFIX = ".secret"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    candidate TEXT NOT NULL,
    exercise TEXT NOT NULL,
    task_key TEXT NOT NULL,
    submission_hash TEXT NOT NULL,
    grader_hash TEXT NOT NULL,
    image TEXT NOT NULL,
    seed INTEGER NOT NULL,
    include_hidden INTEGER NOT NULL,
    source TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    result_json TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    row_mac TEXT NOT NULL,
    PRIMARY KEY (candidate, exercise)
);
CREATE INDEX IF NOT EXISTS results_by_key ON results (task_key);
CREATE TABLE IF NOT EXISTS gradings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate TEXT NOT NULL,
    exercise TEXT NOT NULL,
    task_key TEXT NOT NULL,
    graded_at TEXT NOT NULL
);
"""


class GradebookError(BadInput, ValueError):
    """The gradebook file cannot be used: missing, not SQLite, or of another format."""


@dataclass(frozen=True)
class GradebookEntry:
    """One candidate's result for one exercise, and what it is the result of."""

    candidate: str
    exercise: str
    key: TaskKey
    source: str
    result: RunResult
    graded_at: str = ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Gradebook:
    """A gradebook file; every thread that uses it opens its own connection."""

    def __init__(self, path: Path, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise GradebookError(f"there is no gradebook at {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(self.connect()) as connection:
                connection.executescript(SCHEMA)
                connection.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
                version = connection.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise GradebookError(f"{self.path} is not a usable gradebook: {error}") from None
        if version != SCHEMA_VERSION:
            raise GradebookError(f"{self.path} has gradebook format {version}; this grader reads {SCHEMA_VERSION}")

    def connect(self) -> sqlite3.Connection:
        """Open a connection in WAL mode that commits only when told to."""
        connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    @property
    def secrets_path(self) -> Path:
        return self.path.with_name(self.path.name + SECRETS_SUFFIX)

    def _secrets(self, *, data_secret: str | None = None) -> dict:
        """Read ``<gradebook>.secret``, making it (mode 0600) the first time."""
        if not self.secrets_path.exists():
            secrets = {"data_secret": (data_secret or new_salt()).strip().lower(), "row_key": new_salt()}
            descriptor = os.open(self.secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(secrets, handle)
        try:
            secrets = json.loads(self.secrets_path.read_text(encoding="utf-8"))
            parse_salt(secrets["data_secret"])
            parse_salt(secrets["row_key"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise GradebookError(f"{self.secrets_path} is unreadable or damaged ({error}); without it the "
                                 "gradebook's rows cannot be checked") from None
        return secrets

    def data_secret(self, given: str | None = None) -> str:
        """The gradebook's data secret: drawn when first asked for (or ``given``), then always the same."""
        if given is not None:
            parse_salt(given)
        stored = self._secrets(data_secret=given)["data_secret"]
        if given is not None and given.strip().lower() != stored:
            raise GradebookError(f"{self.path} was graded with another data secret; grade into a new gradebook, "
                                 "or leave out --data-secret")
        return stored

    def _mac(self, candidate: str, exercise: str, task_key: str, result_json: str) -> str:
        key = bytes.fromhex(self._secrets()["row_key"])
        message = "\0".join((candidate, exercise, task_key, result_json)).encode("utf-8", "surrogatepass")
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def _genuine(self, candidate: str, exercise: str, task_key: str, result_json: str, mac: str) -> bool:
        return hmac.compare_digest(self._mac(candidate, exercise, task_key, result_json), mac)

    def recorded_keys(self, *, include_errors: bool = True) -> dict[tuple[str, str], str]:
        """Return the task key recorded for each (candidate, exercise), leaving out grading errors if asked."""
        query = "SELECT candidate, exercise, task_key, result_json, row_mac FROM results"
        with closing(self.connect()) as connection:
            rows = connection.execute(query + ("" if include_errors else " WHERE status != 'error'")).fetchall()
        return {(candidate, exercise): key for candidate, exercise, key, result_json, mac in rows
                if self._genuine(candidate, exercise, key, result_json, mac)}  # a forged row is graded again

    def entries(self) -> list[GradebookEntry]:
        """Return every recorded result, by candidate then exercise."""
        with closing(self.connect()) as connection:
            rows = connection.execute(
                "SELECT candidate, exercise, task_key, submission_hash, grader_hash, image, seed, include_hidden, "
                "source, result_json, graded_at, row_mac FROM results ORDER BY candidate, exercise").fetchall()
        entries = []
        for (candidate, exercise, task_key, submission, grader, image, seed, hidden, source, result_json, graded_at,
             mac) in rows:
            result = RunResult.from_json(json.loads(result_json))
            if not self._genuine(candidate, exercise, task_key, result_json, mac):
                for check in result.checks:
                    check.score = 0.0
                result.error = "this row of the gradebook was changed outside the grader; grade it again"
            entries.append(GradebookEntry(candidate, exercise, TaskKey(submission, grader, image, seed, bool(hidden)),
                                          source, result, graded_at))
        return entries

    def gradings(self) -> list[tuple[str, str, str]]:
        """Return the log of writes: (candidate, exercise, task key), oldest first."""
        with closing(self.connect()) as connection:
            return connection.execute("SELECT candidate, exercise, task_key FROM gradings ORDER BY id").fetchall()

    def record(self, connection: sqlite3.Connection, entry: GradebookEntry) -> None:
        """Write one entry, signed, and its line in the log, in one transaction."""
        result, key, now = entry.result, entry.key, _now()
        result_json = json.dumps(result.to_json(), ensure_ascii=True)
        mac = self._mac(entry.candidate, entry.exercise, key.digest, result_json)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.candidate, entry.exercise, key.digest, key.submission, key.grader, key.image, key.seed,
                 int(key.include_hidden), entry.source, result.score, result.max_score, result.status.value,
                 result_json, now, mac))
            connection.execute("INSERT INTO gradings (candidate, exercise, task_key, graded_at) VALUES (?, ?, ?, ?)",
                               (entry.candidate, entry.exercise, key.digest, now))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


class GradebookWriter:
    """Write entries to the gradebook from one thread, one transaction each, as they arrive."""

    _STOP = object()

    def __init__(self, gradebook: Gradebook, *, on_written: Callable[[GradebookEntry], None] = lambda entry: None):
        self.gradebook = gradebook
        self.on_written = on_written
        self.failure: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gradebook-writer", daemon=True)

    def __enter__(self) -> "GradebookWriter":
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

    def _record_as_error(self, connection: sqlite3.Connection, entry: GradebookEntry,
                         error: Exception) -> GradebookEntry | None:
        """Record a grading error in place of an entry that could not be written; stop only if that fails too."""
        result = RunResult.unrun(exercise=entry.result.exercise, seed=entry.result.seed, specs=[],
                                 message="", error=f"the result could not be written to the gradebook: "
                                                   f"{type(error).__name__}: {clean_text(error)}")
        result.checks = [replace(check, score=0.0) for check in entry.result.checks]
        fallback = replace(entry, candidate=clean_name(entry.candidate), source=clean_name(entry.source),
                           result=result.clean())
        try:
            self.gradebook.record(connection, fallback)
        except BaseException as second:  # noqa: BLE001 - the gradebook itself is unusable: stop the batch
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
                except Exception as error:  # noqa: BLE001 - this entry fails alone, as a grading error
                    entry = self._record_as_error(connection, entry, error)
                    if entry is None:
                        continue
                self.on_written(entry)
        finally:
            connection.close()
