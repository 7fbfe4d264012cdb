"""What can go wrong when the grader asks the candidate's code for something.

Each exception carries an :class:`~harness.wire.results.Outcome`, so that the
plugin turns it into the check's status without guessing from text.
"""

from __future__ import annotations

from harness.wire.results import Outcome


class SubmissionProblem(Exception):
    """The candidate's code did not give the grader what it asked for."""

    outcome = Outcome.FAILED

    def __init__(self, message: str, *, details: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details


class RaisedInSubmission(SubmissionProblem):
    """The candidate's code raised an exception; it arrives here as data."""

    def __init__(self, function: str, error: dict):
        self.type_name = str(error.get("type", "Exception"))
        self.error_message = str(error.get("message", ""))
        self.traceback_text = str(error.get("traceback", ""))
        message = f"{function} raised {self.type_name}: {self.error_message}".rstrip(": ")
        super().__init__(message, details=self.traceback_text)


class NotImplementedYet(RaisedInSubmission):
    """The function still raises ``NotImplementedError``."""

    outcome = Outcome.NOT_IMPLEMENTED

    def __init__(self, function: str, error: dict):
        super().__init__(function, error)
        self.message = f"{function} is not implemented yet (it raises NotImplementedError)"
        self.args = (self.message,)


class ImportFailed(SubmissionProblem):
    """The candidate's module could not be imported."""


class MissingFunction(SubmissionProblem):
    """The module imports, but lacks a function that the exercise asks for."""


class WorkerFailure(SubmissionProblem):
    """The worker process stopped answering: it hung, died or ran out of memory."""


class CallTimedOut(WorkerFailure):
    outcome = Outcome.TIMEOUT


class WorkerDied(WorkerFailure):
    outcome = Outcome.CRASHED


class OutOfMemory(WorkerFailure):
    outcome = Outcome.OUT_OF_MEMORY


class RunBudgetExhausted(WorkerFailure):
    outcome = Outcome.TIMEOUT


class GradingProblem(Exception):
    """The grader could not judge a check, through no fault of the submission: the run is an error.

    ``retryable`` says whether grading again may cure it (an overloaded machine) or not (a grader bug).
    """

    outcome = Outcome.ERROR
    retryable = False

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MachineOverloaded(GradingProblem):
    """A call was starved of CPU by other work on the machine until the wall-clock backstop stopped it."""

    retryable = True


class CheckFailed(AssertionError):
    """A check's expectation was not met; the message says what and where to look."""
