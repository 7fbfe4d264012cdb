"""The roster: who should have handed in, so that no-shows are seen and strangers are not graded silently.

``roster.csv`` has one row per candidate with at least ``id``; ``name`` and ``email`` are expected,
and every other column is kept (a ``section``, a ``sis_user_id`` for Canvas, ...).  Two columns
have a meaning of their own:

- ``extension_days``: extra days this candidate has before the due date counts them late;
- ``submitted_at``: when the LMS says the candidate submitted (ISO 8601), better than file times.

A submission folder matches a roster entry by its id, or else by its name written any way
(``Alice Smith``, ``alice_smith``, ``smithalice`` as Canvas writes it).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import BadInput
from harness.wire.text import clean_name

MAX_ROSTER_BYTES = 10 * 1024 * 1024
ID_COLUMNS = ("id", "student id", "sis user id", "id number", "username")


class BadRoster(BadInput, ValueError):
    """The roster cannot be read, or lacks an id column."""


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (a naive one is taken as UTC), or None for an empty cell."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRoster(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-12-01T23:59 or 2026-12-01T23:59:00+01:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def name_key(text: str) -> str:
    """A name written any way, reduced to its letters and digits in order, lower-case."""
    return re.sub(r"[^0-9a-z]", "", clean_name(text).lower())


def _name_keys(name: str) -> set[str]:
    parts = [part for part in re.split(r"[\s,_.-]+", clean_name(name).lower()) if part]
    keys = {name_key(name)}
    if len(parts) >= 2:
        keys.add(name_key("".join(parts[1:] + parts[:1])))  # "smithalice", as Canvas writes "Alice Smith"
        keys.add(name_key("".join(reversed(parts))))
    return {key for key in keys if key}


@dataclass(frozen=True)
class RosterEntry:
    """One candidate on the roster."""

    id: str
    name: str = ""
    email: str = ""
    extension_days: float = 0.0
    submitted_at: datetime | None = None
    extras: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Roster:
    """The roster, in its file's order."""

    entries: list[RosterEntry]

    def __post_init__(self):
        self._by_id = {entry.id: entry for entry in self.entries}
        self._by_name: dict[str, RosterEntry] = {}
        for entry in self.entries:
            for key in _name_keys(entry.name):
                self._by_name.setdefault(key, entry)

    def find(self, identity: str) -> RosterEntry | None:
        """The entry a submission's identity (an id, or a name written any way) belongs to."""
        if identity in self._by_id:
            return self._by_id[identity]
        return self._by_name.get(name_key(identity))


def read_roster(path: Path) -> Roster:
    """Read ``roster.csv``; raise :class:`BadRoster` saying what is wrong."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise BadRoster(f"{path} is larger than {MAX_ROSTER_BYTES // 2**20} MB")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BadRoster(f"cannot read the roster {path}: {error}") from None
    except UnicodeDecodeError:
        raise BadRoster(f"{path} is not UTF-8 text; save it as UTF-8 CSV") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        raise BadRoster(f"{path} has no rows")
    columns = {name.strip().lower(): name for name in rows[0] if name}
    id_column = next((columns[name] for name in ID_COLUMNS if name in columns), None)
    if id_column is None:
        raise BadRoster(f"{path} needs an id column (one of: {', '.join(ID_COLUMNS)}); it has {', '.join(columns)}")
    entries, seen = [], set()
    for number, row in enumerate(rows, start=2):
        identity = clean_name(row.get(id_column) or "").strip()
        if not identity:
            raise BadRoster(f"{path}, line {number}: the id is empty")
        if identity in seen:
            raise BadRoster(f"{path}, line {number}: the id {identity!r} appears twice")
        seen.add(identity)
        lowered = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
        try:
            extension = float(lowered.get("extension_days") or 0)
        except ValueError:
            raise BadRoster(f"{path}, line {number}: extension_days must be a number of days") from None
        known = {"name", "email", "extension_days", "submitted_at", id_column.strip().lower()}
        entries.append(
            RosterEntry(
                id=identity,
                name=clean_name(lowered.get("name", "")),
                email=clean_name(lowered.get("email", "")),
                extension_days=extension,
                submitted_at=parse_time(lowered.get("submitted_at", "")),
                extras={clean_name(key): clean_name(value) for key, value in lowered.items() if key not in known},
            )
        )
    return Roster(entries)
