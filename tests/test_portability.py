"""The local backend's portable paths, for macOS and Windows, taken here with GRADE_PORTABLE.

posix: no /proc, no subreaper, no cgroups (psutil counts CPU and memory). windows: besides, no
descriptors passed to the worker, no select on pipes (a thread reads replies), no process groups.
The engine's golden scenarios must come out the same on both paths.
"""

import json
from pathlib import Path

import pytest

from harness.grader.portability import limits_not_enforced, mode
from harness.host.grading import grade_submission

pytestmark = pytest.mark.integration  # grades submissions end to end

SCENARIOS = Path(__file__).parent / "scenarios"
CASES = [
    "scores_full_marks",
    "infinite_loop_times_out_scale",
    "memory_hog_out_of_memory",
    "memory_split_across_children_out_of_memory",
    "os_exit_in_call_crashes_scale",
    "syntax_error_scores_0",
    "huge_output_is_trimmed",
]


@pytest.mark.parametrize("portable", ["posix", "windows"])
@pytest.mark.parametrize("scenario", CASES)
def test_portable_paths_give_the_golden_outcomes(scenario, portable, probe_graders, monkeypatch):
    monkeypatch.setenv("GRADE_PORTABLE", portable)
    assert mode() == portable and limits_not_enforced()
    expected = json.loads((SCENARIOS / scenario / "expected.json").read_text())
    result = grade_submission(path=SCENARIOS / scenario, exercise="probe", backend="local", include_hidden=True)
    assert result.score == expected["score"] and result.status.value == expected["status"]
    assert {check.check_id: check.outcome.value for check in result.checks} == expected["outcomes"]
