"""The pytest plugin that turns a grader's test functions into scored checks.

A check is a test function with a points marker::

    @pytest.mark.points(2)
    def test_output_shape(submission, rng):
        \"\"\"Output has shape (None, C).\"\"\"

Fixtures: ``submission`` (a :class:`harness.grader.proxy.Submission`), ``secret``
(the run's :class:`~harness.grader.secrets.DataSecret`: every piece of check data
comes from it), ``rng`` (a NumPy generator drawn from the secret and the check's
name, so that checks do not depend on their order), ``worker_seed`` (the seed to
pass where the candidate's function takes one; it predicts no check data) and
``measure`` (records a number the check observed, for threshold calibration).

The plugin records every check's outcome from the exception that ended it; it
never parses text.  It fails closed: an exception in the grader's own code (not
the candidate's, not a failed expectation) makes the check a grading ``error``,
and the run with it, never a point and never the candidate's failure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pytest

from harness.grader.failures import GradingProblem, SubmissionProblem
from harness.grader.proxy import Submission
from harness.grader.secrets import DataSecret
from harness.wire.results import CheckResult, Outcome

HIDDEN_FILE_PREFIX = "test_hidden"
MAX_CHECK_OUTPUT_CHARS = 6000


def check_title(function) -> str:
    """Return the first line of a check's docstring, or its name made readable."""
    doc = (function.__doc__ or "").strip()
    if doc:
        return doc.splitlines()[0].strip()
    return function.__name__.removeprefix("test_").replace("_", " ").capitalize()


def explain(error: BaseException) -> tuple[Outcome, str]:
    """Map the exception that ended a check to an outcome and a message for the candidate."""
    if isinstance(error, SubmissionProblem):
        message = error.message
        if error.details:
            message += "\n\nWhere, in your code:\n" + error.details.rstrip()
        return error.outcome, message
    if isinstance(error, GradingProblem):
        return Outcome.ERROR, error.message
    if isinstance(error, AssertionError):
        return Outcome.FAILED, str(error) or "the check's expectation was not met"
    if isinstance(error, pytest.skip.Exception):
        return Outcome.NOT_RUN, f"skipped: {error}"
    return Outcome.ERROR, (
        f"the grader itself failed in this check ({type(error).__name__}: {error}). This is a problem of the "
        "grader, not of your submission; the check earns nothing until it is fixed."
    )


def _trim(text: str, limit: int = MAX_CHECK_OUTPUT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... [{len(text) - limit:,} characters trimmed]"


class GradingPlugin:
    """Collect checks, give them fixtures, and record a result for each."""

    def __init__(self, *, submission: Submission, secret: DataSecret, progress: Callable[[dict], None] | None = None):
        self._submission = submission
        self._secret = secret
        self._progress = progress or (lambda event: None)
        self.checks: dict[str, CheckResult] = {}
        self.collection_errors: list[str] = []
        self.retryable: set[str] = set()  # checks that could not be judged for a reason a re-run may cure
        self._started: dict[str, float] = {}

    # -- configuration and fixtures ---------------------------------------

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "points(n): the points a check is worth")
        config.addinivalue_line(
            "markers",
            "statistical: the check compares a measurement with a calibrated "
            "threshold; a mutant may fail it on some seeds only",
        )

    @pytest.fixture(scope="session")
    def submission(self) -> Submission:
        """The candidate's module, served by a separate worker process."""
        return self._submission

    @pytest.fixture(scope="session")
    def secret(self) -> DataSecret:
        """The run's data secret: ``secret.rng("label")`` and ``secret.integer("label")`` for check data."""
        return self._secret

    @pytest.fixture(scope="session")
    def data_seed(self) -> int:
        """An integer drawn from the secret, for data generators that take a seed: never send it to the worker."""
        return self._secret.integer("data seed")

    @pytest.fixture(scope="session")
    def worker_seed(self) -> int:
        """The seed to give the candidate's functions (``seed=``): derived from the secret, predicting nothing."""
        return self._secret.worker_seed

    @pytest.fixture
    def rng(self, request) -> np.random.Generator:
        """A NumPy generator for this check, drawn from the run's secret and the check's name."""
        return self._secret.rng("check", request.node.name)

    @pytest.fixture
    def measure(self, request):
        """Record a number a check observed (an accuracy, a loss), for calibration and reports."""
        check = self.checks.get(request.node.nodeid)

        def record(name: str, value: float) -> float:
            value = float(value)
            if check is not None and math.isfinite(value):
                check.measurements[name] = float(f"{value:.6g}")
            return value

        return record

    # -- collection --------------------------------------------------------

    def pytest_sessionstart(self, session):
        self._submission.spawn()

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {_trim(str(report.longrepr), 2000)}")

    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            marker = item.get_closest_marker("points")
            function = getattr(item, "function", None)
            if marker is None or not marker.args or function is None:
                self.collection_errors.append(f"{item.nodeid}: a check needs @pytest.mark.points(n)")
                continue
            points = float(marker.args[0])
            if points <= 0:
                self.collection_errors.append(f"{item.nodeid}: points must be positive")
                continue
            self.checks[item.nodeid] = CheckResult(
                check_id=item.nodeid,
                name=check_title(function),
                max_score=points,
                hidden=item.path.name.startswith(HIDDEN_FILE_PREFIX),
            )

    # -- running -----------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid, location):
        self._submission.take_output()  # output between checks belongs to none of them
        self._started[nodeid] = time.perf_counter()
        if nodeid in self.checks:
            self._progress(
                {
                    "event": "check",
                    "check_id": nodeid,
                    "index": list(self.checks).index(nodeid) + 1,
                    "total": len(self.checks),
                    "cpu_seconds": round(self._submission.cpu_seconds, 2),
                    "budget_seconds": self._submission.run_budget_seconds,
                }
            )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        check = self.checks.get(item.nodeid)
        if check is None:
            return
        if call.excinfo is not None and check.outcome in (Outcome.NOT_RUN, Outcome.PASSED):
            if call.when == "teardown" and check.outcome is Outcome.PASSED:
                return  # a teardown problem is the grader's, not the candidate's
            check.outcome, message = explain(call.excinfo.value)
            if getattr(call.excinfo.value, "retryable", False):
                self.retryable.add(item.nodeid)
            check.output = _trim(message)
            check.score = 0.0
        elif call.when == "call" and report.passed and check.outcome is Outcome.NOT_RUN:
            check.outcome = Outcome.PASSED
            check.score = check.max_score

    def pytest_runtest_logfinish(self, nodeid, location):
        check = self.checks.get(nodeid)
        if check is None:
            return
        check.duration_seconds = time.perf_counter() - self._started.get(nodeid, time.perf_counter())
        check.candidate_output = self._submission.take_output()
        self._progress(
            {
                "event": "done",
                "check_id": nodeid,
                "outcome": check.outcome.value,
                "seconds": round(check.duration_seconds, 2),
                "cpu_seconds": round(self._submission.cpu_seconds, 2),
            }
        )

    def results(self) -> list[CheckResult]:
        return list(self.checks.values())
