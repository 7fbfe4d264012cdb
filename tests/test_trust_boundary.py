"""The grader process never imports the candidate's module, and the host trusts no result blindly."""

import json
import os
import sys

import pytest

from harness.grader.runner import run_checks
from harness.host.backends.base import RunOutput
from harness.host.grading import reconcile
from harness.project import get_exercise
from harness.wire.results import RESULT_FORMAT_VERSION
from harness.wire.spec import RunSpec, new_salt

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

SPY = """
import json, os, sys
with open({marker!r}, "w") as handle:
    json.dump({{"pid": os.getpid(), "pytest_loaded": "_pytest" in sys.modules,
               "harness_plugin_loaded": "harness.grader.plugin" in sys.modules}}, handle)

def add(a, b):
    return a + b
"""


@pytest.fixture(autouse=True)
def grader_modules_forgotten():
    """run_checks here runs in this process: forget the grader's check modules and path after each test,
    or a later test's own ``test_public`` (pytester's) would collide with the probe's."""
    modules, path = set(sys.modules), list(sys.path)
    yield
    for name in set(sys.modules) - modules:
        source = getattr(sys.modules[name], "__file__", None) or ""
        if not name.startswith("harness") and not source.startswith((sys.prefix, sys.base_prefix)):  # checks
            del sys.modules[name]
    sys.path[:] = path


def test_grader_process_never_imports_the_candidate_module(tmp_path, probe_graders):
    marker = tmp_path / "imported_by.json"
    module = tmp_path / "probe.py"
    module.write_text(SPY.format(marker=str(marker)))
    spec = RunSpec(
        grader_dir=str(probe_graders / "probe"),
        submission_file=str(module),
        seed=0,
        data_secret=new_salt(),
        include_hidden=False,
        results_file=str(tmp_path / "result.json"),
    )
    result = run_checks(spec=spec)
    assert result.checks[0].outcome.value == "passed"
    importer = json.loads(marker.read_text())
    assert importer["pid"] != os.getpid()
    assert importer["pytest_loaded"] is False and importer["harness_plugin_loaded"] is False
    assert "submission" not in sys.modules
    assert not any(getattr(m, "__file__", None) == str(module) for m in list(sys.modules.values()))


def _result(probe_graders, **changes):
    exercise = get_exercise("probe")
    tests = [
        {
            "name": spec.name,
            "check_id": spec.check_id,
            "score": spec.points,
            "max_score": spec.points,
            "status": "passed",
            "outcome": "passed",
            "output": "",
            "visibility": "visible",
        }
        for spec in exercise.checks_for(include_hidden=False)
    ]
    data = {
        "version": RESULT_FORMAT_VERSION,
        "status": "pass",
        "score": 5,
        "max_score": 5,
        "execution_time": 1,
        "output": "",
        "tests": tests,
        "exercise": "probe",
        "seed": 0,
        "submission": {},
        "backend": "",
        "durations": {},
        "versions": {},
    }
    data.update(changes)
    return exercise, data


def test_host_accepts_a_consistent_result(probe_graders):
    exercise, data = _result(probe_graders)
    result = reconcile(RunOutput(result=data), exercise=exercise, include_hidden=False, seed=0)
    assert result.error is None and result.score == result.max_score == 5


@pytest.mark.parametrize(
    "tamper, problem",
    [
        (lambda data: data["tests"].pop(), "missing from the result"),
        (lambda data: data["tests"][0].update(score=100, max_score=100), "claims 100.0 points"),
        (lambda data: data["tests"][1].update(outcome="failed", status="failed"), "with outcome failed"),
        (
            lambda data: data["tests"].append(dict(data["tests"][0], check_id="test_public.py::test_extra")),
            "does not declare",
        ),
        (lambda data: data.update(seed=3), "seed 3"),
        (lambda data: data.update(status="excellent"), "schema"),
    ],
)
def test_host_rejects_a_tampered_result(probe_graders, tamper, problem):
    exercise, data = _result(probe_graders)
    tamper(data)
    result = reconcile(RunOutput(result=data), exercise=exercise, include_hidden=False, seed=0)
    assert result.status.value == "error"
    assert problem in result.error
    assert result.score <= result.max_score == 5
    assert {check.check_id for check in result.checks} == {
        spec.check_id for spec in exercise.checks_for(include_hidden=False)
    }


def test_missing_result_gives_a_complete_error_result(probe_graders):
    exercise = get_exercise("probe")
    result = reconcile(
        RunOutput(result=None, failure="the grading run exceeded its wall-clock limit"),
        exercise=exercise,
        include_hidden=True,
        seed=0,
    )
    assert result.status.value == "error" and result.score == 0
    assert len(result.checks) == len(exercise.checks)
    assert all(check.outcome.value == "not_run" for check in result.checks)
