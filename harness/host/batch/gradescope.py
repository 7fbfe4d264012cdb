"""Write a result in Gradescope's ``results.json`` format, with only the fields Gradescope documents.

Top level: ``score``, ``execution_time`` (whole seconds), ``output`` and
``tests``; each test: ``name``, ``score``, ``max_score``, ``status``
(``passed``/``failed``), ``output`` and ``visibility``.  Gradescope's spec has
no top-level ``max_score``: the assignment's points come from each test.  An
export from a gradebook adds ``extra_data`` (the row's status and lateness), and
its ``score`` is the score after the late penalty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.wire.results import CheckResult, Outcome, RunResult

if TYPE_CHECKING:
    from harness.host.batch.gradebook import Adjustment

TOP_LEVEL_FIELDS = ("score", "execution_time", "output", "tests", "extra_data")
TEST_FIELDS = ("name", "score", "max_score", "status", "output", "visibility")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
MAX_PRINTED_CHARS = 4000


def _test_output(check: CheckResult) -> str:
    text = check.output or (check.outcome.label if check.outcome is not Outcome.PASSED else "")
    if check.candidate_output and check.outcome is not Outcome.PASSED:
        printed = check.candidate_output[-MAX_PRINTED_CHARS:]
        text += f"\n\nYour code printed:\n{printed}"
    return text


def _row_line(result: RunResult, adjustment: Adjustment) -> str:
    if adjustment.row_status == "missing":
        return "Status: missing (nothing was handed in)."
    line = f"Status: {adjustment.row_status}, {result.score:g} / {result.max_score:g}."
    if adjustment.days_late > 0:
        line += (
            f" Late by {adjustment.days_late} day{'' if adjustment.days_late == 1 else 's'}: "
            f"{adjustment.penalty_percent:g}% penalty, final score {adjustment.final_score:g}."
        )
    return line


def gradescope_results(result: RunResult, adjustment: Adjustment | None = None) -> dict:
    """Return ``result`` as the dictionary of a Gradescope ``results.json`` (with its gradebook row, if any)."""
    output = result.output
    if result.error:
        output = f"Grading error: {result.error}" + (f"\n\n{output}" if output and output != result.error else "")
    extra: dict = {}
    score = float(result.score)
    if adjustment is not None:
        output = _row_line(result, adjustment) + (f"\n\n{output}" if output else "")
        score = float(adjustment.final_score)
        extra = {
            "status": adjustment.row_status,
            "days_late": adjustment.days_late,
            "penalty_percent": adjustment.penalty_percent,
            "submitted_at": adjustment.submitted_at,
            "submission_time_source": adjustment.time_source,
            "score_before_penalty": float(result.score),
        }
    return {
        "score": score,
        "execution_time": round(result.durations.get("total_seconds", 0.0)),
        "extra_data": extra,
        "output": output,
        "tests": [
            {
                "name": check.name,
                "score": float(check.score),
                "max_score": float(check.max_score),
                "status": check.outcome.gradescope_status,
                "output": _test_output(check),
                "visibility": check.visibility,
            }
            for check in result.checks
        ],
    }
