"""What exports and the report read of a gradebook: its results, and the cohort view of the last batch."""

from __future__ import annotations

from dataclasses import dataclass

from harness.host.batch.gradebook import Adjustment, CohortMember, Gradebook, GradebookEntry, row_status


@dataclass(frozen=True)
class GradebookView:
    """Everything an export reads: the results, and who, how late and what was flagged."""

    entries: list[GradebookEntry]
    members: dict[str, CohortMember]
    adjustments: dict[tuple[str, str], Adjustment]
    flags: list[tuple[str, str, str, float, str]]
    accounting: dict[str, list[str]]
    last_batch: dict
    revision: int = 0

    @classmethod
    def of(cls, book: Gradebook) -> GradebookView:
        return cls(
            book.entries(),
            book.cohort(),
            book.adjustments(),
            book.flags(),
            book.accounting(),
            book.last_batch(),
            book.revision(),
        )

    def adjustment(self, entry: GradebookEntry) -> Adjustment:
        """The row's adjustment; for a row the last batch did not see, its plain result."""
        found = self.adjustments.get((entry.candidate, entry.exercise))
        if found is not None:
            if entry.result.error is not None and found.row_status != "error":  # e.g. a row changed outside
                return Adjustment(
                    "error",
                    found.submitted_at,
                    found.time_source,
                    found.days_late,
                    found.penalty_percent,
                    0.0,
                    found.notes,
                )
            return found
        return Adjustment(
            row_status(entry.result, missing=False),
            None,
            "",
            0,
            0.0,
            0.0 if entry.result.error is not None else entry.result.score,
        )

    def exercises(self) -> list[str]:
        return exercises_of(self.entries)

    def by_candidate(self) -> dict[str, dict[str, GradebookEntry]]:
        return by_candidate(self.entries)

    def member(self, candidate: str) -> CohortMember:
        """The roster's record of ``candidate``, or one made from the folder name."""
        return self.members.get(candidate) or CohortMember(candidate, candidate, "", False, {})


def exercises_of(entries: list[GradebookEntry]) -> list[str]:
    return sorted({entry.exercise for entry in entries})


def by_candidate(entries: list[GradebookEntry]) -> dict[str, dict[str, GradebookEntry]]:
    """Group entries as {candidate: {exercise: entry}}, candidates in order."""
    grouped: dict[str, dict[str, GradebookEntry]] = {}
    for entry in sorted(entries, key=lambda entry: (entry.candidate, entry.exercise)):
        grouped.setdefault(entry.candidate, {})[entry.exercise] = entry
    return grouped
