"""Due dates and a late policy: when each submission came in, how late it is, and what that costs.

The submission time comes from the roster's ``submitted_at`` column (the LMS's own record) when
there is one, otherwise from the newest modification time of the files graded; the source is
recorded with the time.  A candidate's ``extension_days`` move their due date.  The policy:

- ``per_day_percent``: the share of the score taken per late day (a day begun counts);
- ``cap_percent``: the most that lateness may take;
- ``zero_after_days``: more days late than this and the score is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.errors import BadInput
from harness.host.batch.roster import RosterEntry


@dataclass(frozen=True)
class LatePolicy:
    """What lateness costs; the default costs nothing."""

    per_day_percent: float = 0.0
    cap_percent: float = 100.0
    zero_after_days: float | None = None

    def __post_init__(self):
        if not 0 <= self.per_day_percent <= 100 or not 0 <= self.cap_percent <= 100:
            raise BadInput("late penalties are percentages between 0 and 100")
        if self.zero_after_days is not None and self.zero_after_days < 0:
            raise BadInput("--late-zero-after must not be negative")

    def penalty_percent(self, days_late: int) -> float:
        if days_late <= 0:
            return 0.0
        if self.zero_after_days is not None and days_late > self.zero_after_days:
            return 100.0
        return min(self.cap_percent, self.per_day_percent * days_late)

    def describe(self) -> str:
        parts = [f"{self.per_day_percent:g}% per day late"] if self.per_day_percent else ["no penalty per day"]
        if self.cap_percent < 100:
            parts.append(f"at most {self.cap_percent:g}%")
        if self.zero_after_days is not None:
            parts.append(f"0 after {self.zero_after_days:g} days")
        return ", ".join(parts)


@dataclass(frozen=True)
class Lateness:
    """A submission's time, where it comes from, and what lateness costs it."""

    submitted_at: datetime | None
    source: str  # "roster", "file times", or "" when nothing is known
    days_late: int
    penalty_percent: float

    def apply(self, score: float) -> float:
        return round(score * (1 - self.penalty_percent / 100), 6)


def submission_time(path: Path | None, entry: RosterEntry | None) -> tuple[datetime | None, str]:
    """When a submission came in: the roster's record, else the newest file time; and which it was."""
    if entry is not None and entry.submitted_at is not None:
        return entry.submitted_at, "roster"
    if path is None or not path.exists():
        return None, ""
    files = [path] if path.is_file() else [child for child in path.rglob("*") if child.is_file()]
    if not files:
        return None, ""
    newest = max(file.stat().st_mtime for file in files)  # grader values only
    return datetime.fromtimestamp(newest, tz=UTC), "file times"


def lateness(*, path: Path | None, entry: RosterEntry | None, due: datetime | None, policy: LatePolicy) -> Lateness:
    """How late a submission is against ``due`` (moved by the candidate's extension), and its penalty."""
    submitted, source = submission_time(path, entry)
    if due is None or submitted is None:
        return Lateness(submitted, source, 0, 0.0)
    deadline = due + timedelta(days=entry.extension_days if entry is not None else 0.0)
    late_seconds = (submitted - deadline).total_seconds()
    days = math.ceil(late_seconds / 86_400) if late_seconds > 0 else 0
    return Lateness(submitted, source, days, policy.penalty_percent(days))
