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
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import BadInput
from harness.host.batch.keys import TaskKey
from harness.wire.results import RunResult
from harness.wire.spec import new_salt, parse_salt

SCHEMA_VERSION = "3"
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
-- The cohort view of the last batch, recomputed by every batch: who is on the roster, lateness and
-- penalties (a due date or policy may change without grading again), copied pairs, files not graded.
CREATE TABLE IF NOT EXISTS cohort (
    candidate TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, on_roster INTEGER NOT NULL,
    extras_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS adjustments (
    candidate TEXT NOT NULL, exercise TEXT NOT NULL, row_status TEXT NOT NULL, submitted_at TEXT,
    time_source TEXT NOT NULL, days_late INTEGER NOT NULL, penalty_percent REAL NOT NULL,
    final_score REAL NOT NULL, notes_json TEXT NOT NULL, PRIMARY KEY (candidate, exercise)
);
CREATE TABLE IF NOT EXISTS flags (
    exercise TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL, similarity REAL NOT NULL, kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounting (candidate TEXT NOT NULL, line TEXT NOT NULL);
-- The code of flagged submissions as it was compared, for the report's side-by-side pages.
CREATE TABLE IF NOT EXISTS compared (
    exercise TEXT NOT NULL, candidate TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (exercise, candidate)
);
"""
ROW_STATUSES = ("full", "partial", "zero", "missing", "error")


@dataclass(frozen=True)
class Adjustment:
    """What the last batch says of one row beyond its grading: status, lateness, penalty, notes."""

    row_status: str
    submitted_at: str | None
    time_source: str
    days_late: int
    penalty_percent: float
    final_score: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CohortMember:
    """A candidate as the roster knows them (or as the folder names them, without a roster)."""

    candidate: str
    name: str
    email: str
    on_roster: bool
    extras: dict


def row_status(result: RunResult, *, missing: bool) -> str:
    """full, partial, zero, missing or error: what a row's score means, never 'fail' for 14 of 16."""
    if missing:
        return "missing"
    if result.status.value == "error":
        return "error"
    if result.score >= result.max_score > 0:
        return "full"
    return "zero" if result.score == 0 else "partial"


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
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
            raise GradebookError(
                f"{self.secrets_path} is unreadable or damaged ({error}); without it the "
                "gradebook's rows cannot be checked"
            ) from None
        return secrets

    def data_secret(self, given: str | None = None) -> str:
        """The gradebook's data secret: drawn when first asked for (or ``given``), then always the same."""
        if given is not None:
            parse_salt(given)
        stored = self._secrets(data_secret=given)["data_secret"]
        if given is not None and given.strip().lower() != stored:
            raise GradebookError(
                f"{self.path} was graded with another data secret; grade into a new gradebook, "
                "or leave out --data-secret"
            )
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
        return {
            (candidate, exercise): key
            for candidate, exercise, key, result_json, mac in rows
            if self._genuine(candidate, exercise, key, result_json, mac)
        }  # a forged row is graded again

    def entries(self) -> list[GradebookEntry]:
        """Return every recorded result, by candidate then exercise."""
        with closing(self.connect()) as connection:
            rows = connection.execute(
                "SELECT candidate, exercise, task_key, submission_hash, grader_hash, image, seed, include_hidden, "
                "source, result_json, graded_at, row_mac FROM results ORDER BY candidate, exercise"
            ).fetchall()
        entries = []
        for (
            candidate,
            exercise,
            task_key,
            submission,
            grader,
            image,
            seed,
            hidden,
            source,
            result_json,
            graded_at,
            mac,
        ) in rows:
            result = RunResult.from_json(json.loads(result_json))
            if not self._genuine(candidate, exercise, task_key, result_json, mac):
                for check in result.checks:
                    check.score = 0.0
                result.error = "this row of the gradebook was changed outside the grader; grade it again"
            entries.append(
                GradebookEntry(
                    candidate,
                    exercise,
                    TaskKey(submission, grader, image, seed, bool(hidden)),
                    source,
                    result,
                    graded_at,
                )
            )
        return entries

    def record_cohort(
        self,
        *,
        members: list[CohortMember],
        adjustments: dict[tuple[str, str], Adjustment],
        flags: list,
        accounting: dict[str, list[str]],
        summary: dict,
        compared: dict[tuple[str, str], str] | None = None,
    ) -> None:
        """Replace the cohort view (who, lateness, copies, files not graded) with the last batch's, in one go."""
        with closing(self.connect()) as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for table in ("cohort", "adjustments", "flags", "accounting", "compared"):
                    connection.execute(f"DELETE FROM {table}")
                connection.executemany(
                    "INSERT INTO cohort VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            member.candidate,
                            member.name,
                            member.email,
                            int(member.on_roster),
                            json.dumps(member.extras, ensure_ascii=True),
                        )
                        for member in members
                    ],
                )
                connection.executemany(
                    "INSERT INTO adjustments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            candidate,
                            exercise,
                            item.row_status,
                            item.submitted_at,
                            item.time_source,
                            item.days_late,
                            item.penalty_percent,
                            item.final_score,
                            json.dumps(list(item.notes), ensure_ascii=True),
                        )
                        for (candidate, exercise), item in adjustments.items()
                    ],
                )
                connection.executemany(
                    "INSERT INTO flags VALUES (?, ?, ?, ?, ?)",
                    [(flag.exercise, flag.first, flag.second, flag.similarity, flag.kind) for flag in flags],
                )
                connection.executemany(
                    "INSERT INTO accounting VALUES (?, ?)",
                    [(candidate, line) for candidate, lines in accounting.items() for line in lines],
                )
                connection.executemany(
                    "INSERT INTO compared VALUES (?, ?, ?)",
                    [(exercise, candidate, source) for (exercise, candidate), source in (compared or {}).items()],
                )
                connection.execute("INSERT OR IGNORE INTO meta VALUES ('cohort_writes', '0')")
                connection.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE name = 'cohort_writes'")
                connection.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('last_batch', ?)",
                    (json.dumps(summary, ensure_ascii=True, default=str),),
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def cohort(self) -> dict[str, CohortMember]:
        with closing(self.connect()) as connection:
            rows = connection.execute("SELECT candidate, name, email, on_roster, extras_json FROM cohort").fetchall()
        return {row[0]: CohortMember(row[0], row[1], row[2], bool(row[3]), json.loads(row[4])) for row in rows}

    def adjustments(self) -> dict[tuple[str, str], Adjustment]:
        with closing(self.connect()) as connection:
            rows = connection.execute("SELECT * FROM adjustments").fetchall()
        return {
            (row[0], row[1]): Adjustment(
                row[2], row[3], row[4], int(row[5]), float(row[6]), float(row[7]), tuple(json.loads(row[8]))
            )
            for row in rows
        }

    def flags(self) -> list[tuple[str, str, str, float, str]]:
        with closing(self.connect()) as connection:
            return connection.execute(
                "SELECT exercise, first, second, similarity, kind FROM flags ORDER BY similarity DESC"
            ).fetchall()

    def accounting(self) -> dict[str, list[str]]:
        with closing(self.connect()) as connection:
            rows = connection.execute("SELECT candidate, line FROM accounting").fetchall()
        found: dict[str, list[str]] = {}
        for candidate, line in rows:
            found.setdefault(candidate, []).append(line)
        return found

    def compared(self) -> dict[tuple[str, str], str]:
        """The code of each flagged submission, as it was compared: {(exercise, candidate): source}."""
        with closing(self.connect()) as connection:
            rows = connection.execute("SELECT exercise, candidate, source FROM compared").fetchall()
        return {(exercise, candidate): source for exercise, candidate, source in rows}

    def revision(self) -> int:
        """How many times results or the cohort view were written: a report of another revision is stale."""
        with closing(self.connect()) as connection:
            written = int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM gradings").fetchone()[0])
            row = connection.execute("SELECT value FROM meta WHERE name = 'cohort_writes'").fetchone()
        return written + (int(row[0]) if row else 0)

    def last_batch(self) -> dict:
        with closing(self.connect()) as connection:
            row = connection.execute("SELECT value FROM meta WHERE name = 'last_batch'").fetchone()
        return json.loads(row[0]) if row else {}

    def remember(self, name: str, value: str) -> None:
        with closing(self.connect()) as connection:
            connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def recall(self, name: str) -> str | None:
        with closing(self.connect()) as connection:
            row = connection.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

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
                (
                    entry.candidate,
                    entry.exercise,
                    key.digest,
                    key.submission,
                    key.grader,
                    key.image,
                    key.seed,
                    int(key.include_hidden),
                    entry.source,
                    result.score,
                    result.max_score,
                    result.status.value,
                    result_json,
                    now,
                    mac,
                ),
            )
            connection.execute(
                "INSERT INTO gradings (candidate, exercise, task_key, graded_at) VALUES (?, ?, ?, ?)",
                (entry.candidate, entry.exercise, key.digest, now),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
