"""The two kinds of error a grading command can end with, and the exit code of each, in one place.

- :class:`BadInput`: the person asked for something that cannot be graded (a missing or empty
  folder, a zip, a file that is not the exercise's, an unknown exercise, a backend that is not
  there). Exit code 2.
- :class:`GradingFailure`: the grader could not complete (its own bug, a result it rejected,
  an image that cannot be built). The score is not trustworthy. Exit code 3.

Ctrl-C ends a command with 130; 1 is kept for ``--fail-under``.
"""

from __future__ import annotations

EXIT_GRADED = 0
EXIT_BELOW_THRESHOLD = 1
EXIT_BAD_INPUT = 2
EXIT_GRADING_ERROR = 3
EXIT_INTERRUPTED = 130


class GradeError(Exception):
    """Something stopped a grading command; ``exit_code`` says which kind."""

    exit_code = EXIT_GRADING_ERROR


class BadInput(GradeError):
    """The input cannot be graded as given."""

    exit_code = EXIT_BAD_INPUT


class GradingFailure(GradeError):
    """The grader itself could not complete."""

    exit_code = EXIT_GRADING_ERROR


def exit_code_for(error: BaseException) -> int:
    """The exit code a command ends with for ``error``."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, GradeError):
        return error.exit_code
    return EXIT_GRADING_ERROR
