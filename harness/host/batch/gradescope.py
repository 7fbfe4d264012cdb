"""Write a result in Gradescope's ``results.json`` format, with only the fields Gradescope documents.

Top level: ``score``, ``execution_time`` (whole seconds), ``output`` and
``tests``; each test: ``name``, ``score``, ``max_score``, ``status``
(``passed``/``failed``), ``output`` and ``visibility``.  Gradescope's spec has
no top-level ``max_score``: the assignment's points come from each test.
"""

from __future__ import annotations

from harness.wire.results import CheckResult, Outcome, RunResult

TOP_LEVEL_FIELDS = ("score", "execution_time", "output", "tests")
TEST_FIELDS = ("name", "score", "max_score", "status", "output", "visibility")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
MAX_PRINTED_CHARS = 4000


def _test_output(check: CheckResult) -> str:
    text = check.output or (check.outcome.label if check.outcome is not Outcome.PASSED else "")
    if check.candidate_output and check.outcome is not Outcome.PASSED:
        printed = check.candidate_output[-MAX_PRINTED_CHARS:]
        text += f"\n\nYour code printed:\n{printed}"
    return text


def gradescope_results(result: RunResult) -> dict:
    """Return ``result`` as the dictionary of a Gradescope ``results.json``."""
    output = result.output
    if result.error:
        output = f"Grading error: {result.error}" + (f"\n\n{output}" if output and output != result.error else "")
    return {
        "score": float(result.score),
        "execution_time": int(round(result.durations.get("total_seconds", 0.0))),
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
