"""The numbers of the report: per-exercise summaries and the item analysis of every check.

Everything here is computed from the gradebook view alone, with the scores after the late
policy.  A statistic that is not defined (a mean of no scores, a correlation with no spread)
is ``None`` and shows as "n/a": a report never shows NaN.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from harness.host.batch.view import GradebookView
from harness.wire.results import Outcome

MIN_FOR_DISCRIMINATION = 3  # fewer submissions than this say nothing about a check's discrimination


@dataclass
class ExerciseNumbers:
    """One exercise across the cohort."""

    slug: str
    max_score: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)  # final scores of the rows that were submitted
    late: int = 0
    flagged: int = 0

    @property
    def submitted(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != "missing")

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.scores) if self.scores else None


@dataclass(frozen=True)
class ItemStatistics:
    """One check of one exercise: how many passed, and how well passing it goes with the rest of the score."""

    exercise: str
    check_id: str
    name: str
    passed: int
    taken: int
    discrimination: float | None  # correlation of passing with the exercise's score without this check
    common_failures: tuple[tuple[str, int], ...] = ()

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.taken if self.taken else None


def exercise_numbers(view: GradebookView) -> dict[str, ExerciseNumbers]:
    """Counts by status, scores, lateness and flags of every exercise."""
    numbers = {slug: ExerciseNumbers(slug) for slug in view.exercises()}
    for entry in view.entries:
        item = numbers[entry.exercise]
        adjustment = view.adjustment(entry)
        item.max_score = max(item.max_score, entry.result.max_score)
        item.statuses[adjustment.row_status] = item.statuses.get(adjustment.row_status, 0) + 1
        if adjustment.row_status != "missing":
            item.scores.append(adjustment.final_score)
        item.late += adjustment.days_late > 0
    for exercise, *_ in view.flags:
        if exercise in numbers:
            numbers[exercise].flagged += 1
    return numbers


def correlation(first: list[float], second: list[float]) -> float | None:
    """Pearson's correlation, or None where it is not defined (too few values, or one without spread)."""
    if len(first) != len(second) or len(first) < MIN_FOR_DISCRIMINATION:
        return None
    mean_first, mean_second = statistics.fmean(first), statistics.fmean(second)
    spread_first = math.fsum((value - mean_first) ** 2 for value in first)
    spread_second = math.fsum((value - mean_second) ** 2 for value in second)
    if spread_first <= 0 or spread_second <= 0:
        return None
    value = math.fsum((a - mean_first) * (b - mean_second) for a, b in zip(first, second, strict=True))
    result = value / math.sqrt(spread_first * spread_second)
    return max(-1.0, min(1.0, result)) if math.isfinite(result) else None


def item_analysis(view: GradebookView) -> list[ItemStatistics]:
    """Pass rate and discrimination of every check, over the submitted rows that were graded."""
    rows: dict[str, list] = {}
    for entry in view.entries:
        status = view.adjustment(entry).row_status
        if status in ("missing", "error"):
            continue  # no submission, or no grading: neither says anything about a check
        rows.setdefault(entry.exercise, []).append(entry.result)
    analysis = []
    for exercise, results in sorted(rows.items()):
        names: dict[str, str] = {}
        for result in results:
            for check in result.checks:
                names.setdefault(check.check_id, check.name)
        for check_id, name in names.items():
            passed: list[float] = []
            rest: list[float] = []
            failures: dict[str, int] = {}
            for result in results:
                check = next((check for check in result.checks if check.check_id == check_id), None)
                if check is None:
                    continue
                passed.append(1.0 if check.outcome is Outcome.PASSED else 0.0)
                rest.append(result.score - check.score)  # corrected item-total: this check left out
                if check.outcome is not Outcome.PASSED:
                    failures[check.outcome.label] = failures.get(check.outcome.label, 0) + 1
            common = tuple(sorted(failures.items(), key=lambda item: -item[1])[:3])
            analysis.append(
                ItemStatistics(
                    exercise, check_id, name, int(sum(passed)), len(passed), correlation(passed, rest), common
                )
            )
    return analysis
