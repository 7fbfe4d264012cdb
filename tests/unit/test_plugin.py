"""The grading plugin turns a grader's test functions into scored checks; tested with pytester."""

from harness.grader.plugin import GradingPlugin
from harness.grader.secrets import DataSecret
from harness.wire.results import Outcome

pytest_plugins = ["pytester"]

GRADER = '''
import numpy as np
import pytest

from harness.checks import CheckFailed, NotImplementedYet, expect_close


@pytest.mark.points(2)
def test_passes(submission):
    """Passes."""


@pytest.mark.points(1)
def test_fails(submission):
    raise CheckFailed("expected 2, found 3. Look at f.")


@pytest.mark.points(1)
def test_not_implemented(submission):
    raise NotImplementedYet("f()", {"type": "NotImplementedError", "message": ""})


@pytest.mark.points(1)
def test_grader_bug(submission):
    {}["missing"]


@pytest.mark.points(1)
def test_random_numbers(rng, worker_seed, data_seed, secret, measure):
    measure("first", rng.random())
    measure("worker seed", worker_seed)
'''


class FakeSubmission:
    """Stands in for the worker: the plugin only starts it, takes its output and reads its CPU time."""

    cpu_seconds = 0.0
    run_budget_seconds = 60.0

    def spawn(self):
        pass

    def take_output(self):
        return ""


def _run(pytester, secret):
    path = pytester.makepyfile(test_public=GRADER)
    plugin = GradingPlugin(submission=FakeSubmission(), secret=secret)
    pytester.inline_run(str(path), "-p", "no:cacheprovider", plugins=[plugin])
    return {check.check_id.split("::")[-1]: check for check in plugin.results()}


def test_each_exception_maps_to_its_outcome(pytester):
    checks = _run(pytester, DataSecret(salt_hex="00" * 16, exercise="demo", seed=0))
    assert {name: (check.outcome, check.score) for name, check in checks.items()} == {
        "test_passes": (Outcome.PASSED, 2.0),
        "test_fails": (Outcome.FAILED, 0.0),
        "test_not_implemented": (Outcome.NOT_IMPLEMENTED, 0.0),
        "test_grader_bug": (Outcome.ERROR, 0.0),
        "test_random_numbers": (Outcome.PASSED, 1.0),
    }
    assert "Look at f." in checks["test_fails"].output
    assert "the grader itself failed" in checks["test_grader_bug"].output
    assert checks["test_passes"].name == "Passes."


def test_check_data_comes_from_the_secret(pytester):
    first = _run(pytester, DataSecret(salt_hex="00" * 16, exercise="demo", seed=0))["test_random_numbers"]
    again = _run(pytester, DataSecret(salt_hex="00" * 16, exercise="demo", seed=0))["test_random_numbers"]
    other = _run(pytester, DataSecret(salt_hex="11" * 16, exercise="demo", seed=0))["test_random_numbers"]
    assert first.measurements == again.measurements
    assert first.measurements["first"] != other.measurements["first"]


def test_a_check_without_points_is_a_collection_error(pytester):
    path = pytester.makepyfile(test_public="def test_unscored(submission):\n    pass\n")
    plugin = GradingPlugin(submission=FakeSubmission(), secret=DataSecret(salt_hex="00" * 16, exercise="d", seed=0))
    pytester.inline_run(str(path), "-p", "no:cacheprovider", plugins=[plugin])
    assert plugin.collection_errors and "points" in plugin.collection_errors[0]
