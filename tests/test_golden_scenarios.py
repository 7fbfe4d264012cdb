"""Golden scenarios: one folder per submission under scenarios/, named after its expected outcome.

Each folder holds the candidate's module and ``expected.json``: the exercise
(``probe`` unless it says otherwise), the score, status, each check's outcome,
and text its message must contain.  Every scenario is graded with the same data
secret, so statistical checks repeat exactly.
Regenerate the scores and outcomes (keeping the texts) with
``UPDATE_GOLDEN=1 pytest tests/test_golden_scenarios.py``, then review the diff.
"""

import json
import os
from pathlib import Path

import pytest

from harness.host.grading import grade_submission

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

SCENARIOS = sorted(path for path in (Path(__file__).parent / "scenarios").iterdir() if path.is_dir())


def summarize(result) -> dict:
    return {
        "score": result.score,
        "max_score": result.max_score,
        "status": result.status.value,
        "outcomes": {check.check_id: check.outcome.value for check in result.checks},
    }


SCENARIO_SECRET = "5ce7a210c0ffee005ce7a210c0ffee00"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda path: path.name)
def test_scenario(scenario, probe_graders):
    assert_scenario_holds(scenario, backend="local")


def assert_scenario_holds(scenario: Path, *, backend: str, outcomes: dict | None = None) -> None:
    """Grade ``scenario`` on ``backend`` and compare with its ``expected.json`` (rewritten under UPDATE_GOLDEN).

    ``outcomes`` overrides the expected outcome of some checks on this backend (their texts are not compared).
    """
    expected_path = scenario / "expected.json"
    expected = json.loads(expected_path.read_text()) if expected_path.exists() else {}
    if outcomes:
        expected = {**expected, "outcomes": {**expected["outcomes"], **outcomes}}
        expected["output_contains"] = {
            key: value for key, value in expected.get("output_contains", {}).items() if key not in outcomes
        }
    result = grade_submission(
        path=scenario,
        exercise=expected.get("exercise", "probe"),
        seed=0,
        backend=backend,
        include_hidden=True,
        data_secret=SCENARIO_SECRET,
    )
    if os.environ.get("UPDATE_GOLDEN") and backend == "local":
        expected = {
            **({"exercise": expected["exercise"]} if "exercise" in expected else {}),
            **summarize(result),
            "output_contains": expected.get("output_contains", {}),
        }
        expected_path.write_text(json.dumps(expected, indent=2) + "\n")
    assert summarize(result) == {key: expected[key] for key in ("score", "max_score", "status", "outcomes")}
    checks = {check.check_id: check for check in result.checks}
    assert all(len(check.candidate_output) < 20_000 for check in result.checks), "candidate output is trimmed"
    for check_id, fragments in expected.get("output_contains", {}).items():
        text = result.output if check_id == "(run)" else checks[check_id].output + checks[check_id].candidate_output
        for fragment in fragments:
            assert fragment in text, f"{check_id}: {fragment!r} not in {text[:500]!r}"
