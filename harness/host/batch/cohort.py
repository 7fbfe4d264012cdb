"""After a batch: the cohort view of the gradebook, recomputed every time from what was found.

For every row it settles the status (full, partial, zero, missing, error), the submission time
and its source, the days late and the penalty of the late policy, and the final score; it flags
identical and near-duplicate submissions of each exercise; and it lists, per candidate, the
files that were not graded and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from harness.host.batch.deadlines import LatePolicy, lateness
from harness.host.batch.discovery import Candidate, Discovery, Task, unaccounted_files
from harness.host.batch.gradebook import Adjustment, CohortMember, Gradebook, row_status
from harness.host.batch.layouts import LAYOUTS
from harness.host.batch.roster import Roster
from harness.host.batch.similarity import DEFAULT_THRESHOLD, flag_pairs
from harness.host.notebooks import MalformedNotebook, notebook_to_module
from harness.host.pristine import pristine_fingerprints
from harness.host.staging import PREFERENCES, choose_file
from harness.project import Exercise

MAX_COMPARED_CHARS = 500_000


@dataclass(frozen=True)
class CohortOptions:
    """How a batch finds, matches and judges a cohort beyond grading each submission."""

    roster: Roster | None = None
    layout: str = "folders"
    pattern: str | None = None
    accept_fuzzy: bool = False
    prefer: str = "newest"  # which of a .py and an .ipynb both filled in is graded
    due: datetime | None = None
    late_policy: LatePolicy = field(default_factory=LatePolicy)
    similarity_threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        if self.prefer not in PREFERENCES:
            raise ValueError(f"--prefer must be one of {', '.join(PREFERENCES)}")
        if not 0 < self.similarity_threshold <= 1:
            raise ValueError("the similarity threshold is a share between 0 and 1")


def graded_source(task: Task, *, prefer: str) -> str | None:
    """The code a task graded, as text (a notebook turned into its module), for comparing submissions.

    The file is chosen by the same rule grading used (:func:`harness.host.staging.choose_file`)."""
    if task.path is None:
        return None
    exercise = task.exercise
    try:
        if task.path.is_dir():
            chosen, _ = choose_file(
                task.path,
                module=exercise.module,
                prefer=prefer,
                pristine=pristine_fingerprints(exercise.project_root / "exercises", exercise.slug),
            )
        else:
            chosen = task.path
        if chosen.suffix == ".ipynb":
            return notebook_to_module(chosen).source[:MAX_COMPARED_CHARS]
        return chosen.read_text(encoding="utf-8", errors="replace")[:MAX_COMPARED_CHARS]
    except (OSError, ValueError, MalformedNotebook):  # nothing to compare: the grading said why
        return None


def cohort_view(
    *, book: Gradebook, discovery: Discovery, tasks: list[Task], exercises: list[Exercise], options: CohortOptions
) -> dict:
    """Compute and record the cohort view of the gradebook; return the batch's summary of it."""
    results = {(entry.candidate, entry.exercise): entry.result for entry in book.entries()}
    members = _members(discovery.candidates, options.roster)
    adjustments = {}
    for task in tasks:
        result = results.get((task.candidate, task.exercise.slug))
        if result is None:
            continue
        status = row_status(result, missing=task.missing)
        late = (
            lateness(path=task.path, entry=task.roster, due=options.due, policy=options.late_policy)
            if not task.missing
            else None
        )
        notes = list(task.notes) + (["the LMS marked this submission late"] if task.marked_late else [])
        adjustments[(task.candidate, task.exercise.slug)] = Adjustment(
            row_status=status,
            submitted_at=late.submitted_at.isoformat(timespec="seconds") if late and late.submitted_at else None,
            time_source=late.source if late else "",
            days_late=late.days_late if late else 0,
            penalty_percent=late.penalty_percent if late else 0.0,
            final_score=late.apply(result.score) if late else 0.0,
            notes=tuple(notes),
        )
    flags, compared = [], {}
    for exercise in exercises:
        sources = {
            task.candidate: text
            for task in tasks
            if task.exercise.slug == exercise.slug and (text := graded_source(task, prefer=options.prefer)) is not None
        }
        skeleton_file = exercise.skeleton_dir / exercise.module
        skeleton = skeleton_file.read_text(encoding="utf-8") if skeleton_file.is_file() else ""
        found = flag_pairs(sources, exercise=exercise.slug, skeleton=skeleton, threshold=options.similarity_threshold)
        for flag in found:  # kept for the report's side-by-side pages
            for candidate in (flag.first, flag.second):
                compared[(exercise.slug, candidate)] = sources[candidate]
        flags += found
    accounting = {
        candidate.identity: lines
        for candidate in discovery.candidates
        if (lines := unaccounted_files(candidate, tasks, exercises))
    }
    summary = {
        "candidates": len(members),
        "unknown": discovery.unknown,
        "ignored": discovery.ignored,
        "due": options.due.isoformat() if options.due else None,
        "late_policy": options.late_policy.describe(),
        "layout": options.layout,
        "flags": len(flags),
        "late": sum(item.days_late > 0 for item in adjustments.values()),
        "missing": sum(item.row_status == "missing" for item in adjustments.values()),
    }
    book.record_cohort(
        members=members, adjustments=adjustments, flags=flags, accounting=accounting, summary=summary, compared=compared
    )
    return summary


def _members(candidates: list[Candidate], roster: Roster | None) -> list[CohortMember]:
    if roster is not None:
        return [CohortMember(entry.id, entry.name, entry.email, True, dict(entry.extras)) for entry in roster.entries]
    return [CohortMember(candidate.identity, candidate.identity, "", False, {}) for candidate in candidates]
