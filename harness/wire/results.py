"""The result of grading one submission for one exercise.

The JSON form is a superset of Gradescope's ``results.json``: ``score``,
``max_score``, ``execution_time``, ``output`` and ``tests[]`` (``name``,
``score``, ``max_score``, ``status``, ``output``, ``visibility``) mean what
Gradescope says they mean; the other fields are ours and versioned by
``version``.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from harness.errors import GradingFailure
from harness.wire.text import clean_name, clean_text

RESULT_FORMAT_VERSION = 2


class Status(str, enum.Enum):
    """The verdict of a whole run."""

    PASS = "pass"  # every check passed
    FAIL = "fail"  # graded, with some points lost
    ERROR = "error"  # the grading itself could not complete; the score is not trustworthy


class Outcome(str, enum.Enum):
    """What happened to one check."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_IMPLEMENTED = "not_implemented"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    OUT_OF_MEMORY = "out_of_memory"
    NOT_RUN = "not_run"
    ERROR = "error"  # the grader could not judge the check (its own bug, an overloaded machine): retry

    @property
    def gradescope_status(self) -> str:
        """The check's status in Gradescope's terms: only a passed check is "passed"."""
        return "passed" if self is Outcome.PASSED else "failed"

    @property
    def is_grading_error(self) -> bool:
        """True when the check's verdict is missing through no fault of the submission."""
        return self is Outcome.ERROR

    @property
    def label(self) -> str:
        return {
            Outcome.PASSED: "passed",
            Outcome.FAILED: "failed",
            Outcome.NOT_IMPLEMENTED: "not implemented",
            Outcome.TIMEOUT: "timed out",
            Outcome.CRASHED: "did not complete",
            Outcome.OUT_OF_MEMORY: "out of memory",
            Outcome.NOT_RUN: "not run",
            Outcome.ERROR: "grading error",
        }[self]


@dataclass
class CheckResult:
    """One check: its identity, points and what happened."""

    check_id: str
    name: str
    max_score: float
    score: float = 0.0
    outcome: Outcome = Outcome.NOT_RUN
    output: str = ""
    hidden: bool = False
    duration_seconds: float = 0.0
    candidate_output: str = ""
    measurements: dict[str, float] = field(default_factory=dict)

    @property
    def visibility(self) -> str:
        return "after_published" if self.hidden else "visible"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "name_format": "text",
            "check_id": self.check_id,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.outcome.gradescope_status,
            "outcome": self.outcome.value,
            "output": self.output,
            "output_format": "text",
            "visibility": self.visibility,
            "duration_seconds": round(self.duration_seconds, 3),
            "candidate_output": self.candidate_output,
            "measurements": self.measurements,
        }

    def clean(self) -> CheckResult:
        """Sanitise every text of this check in place (see :mod:`harness.wire.text`); return it."""
        self.check_id, self.name = clean_name(self.check_id), clean_name(self.name) or "check"
        self.output, self.candidate_output = clean_text(self.output), clean_text(self.candidate_output)
        self.measurements = {clean_name(name): value for name, value in self.measurements.items()}
        return self

    @classmethod
    def from_json(cls, data: dict) -> CheckResult:
        return cls(
            check_id=data["check_id"],
            name=data["name"],
            max_score=float(data["max_score"]),
            score=float(data["score"]),
            outcome=Outcome(data["outcome"]),
            output=data.get("output", ""),
            hidden=data.get("visibility") != "visible",
            duration_seconds=float(data.get("duration_seconds", 0.0)),
            candidate_output=data.get("candidate_output", ""),
            measurements=dict(data.get("measurements", {})),
        )


@dataclass
class RunResult:
    """A whole grading run: every check of the exercise, and where it ran."""

    exercise: str
    seed: int
    checks: list[CheckResult]
    submission: dict = field(default_factory=dict)
    backend: str = ""
    image: str | None = None
    output: str = ""
    error: str | None = None
    durations: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    data_secret: str | None = None  # a fingerprint of the secret the check data came from, never the secret
    retryable: bool = False  # an error that grading again may cure (an overloaded machine)

    @classmethod
    def unrun(
        cls,
        *,
        exercise: str,
        seed: int,
        specs,
        message: str,
        outcome: Outcome = Outcome.NOT_RUN,
        error: str | None = None,
        output: str = "",
        versions: dict | None = None,
    ) -> RunResult:
        """A result in which every check of ``specs`` (CheckSpec-like) is listed, none of them run."""
        checks = [
            CheckResult(spec.check_id, spec.name, spec.points, outcome=outcome, output=message, hidden=spec.hidden)
            for spec in specs
        ]
        return cls(
            exercise=exercise, seed=seed, checks=checks, error=error, output=output, versions=dict(versions or {})
        )

    def clean(self) -> RunResult:
        """Sanitise every text of this result in place, so that no sink can choke on it; return it."""
        self.output = clean_text(self.output)
        self.error = clean_text(self.error) if self.error is not None else None
        self.backend = clean_name(self.backend)
        self.image = clean_name(self.image) if self.image is not None else None
        self.submission = {
            clean_name(key): clean_name(value) if isinstance(value, str) else value
            for key, value in self.submission.items()
        }
        self.versions = {
            clean_name(key): clean_name(value) if isinstance(value, str) else value
            for key, value in self.versions.items()
        }
        for check in self.checks:
            check.clean()
        return self

    @property
    def score(self) -> float:
        return round(sum(check.score for check in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(check.max_score for check in self.checks), 6)

    @property
    def status(self) -> Status:
        if self.error is not None or any(check.outcome.is_grading_error for check in self.checks):
            return Status.ERROR
        return Status.PASS if self.score == self.max_score else Status.FAIL

    def to_json(self) -> dict:
        return {
            "version": RESULT_FORMAT_VERSION,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.durations.get("total_seconds", 0.0), 3),
            "output": self.output,
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [check.to_json() for check in self.checks],
            "exercise": self.exercise,
            "submission": self.submission,
            "seed": self.seed,
            "backend": self.backend,
            "image": self.image,
            "error": self.error,
            "durations": self.durations,
            "versions": self.versions,
            "data_secret": self.data_secret,
            "retryable": self.retryable,
        }

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        validate_schema(data)
        return cls(
            exercise=data["exercise"],
            seed=data["seed"],
            checks=[CheckResult.from_json(test) for test in data["tests"]],
            submission=data.get("submission", {}),
            backend=data.get("backend", ""),
            image=data.get("image"),
            output=data.get("output", ""),
            error=data.get("error"),
            durations=data.get("durations", {}),
            versions=data.get("versions", {}),
            data_secret=data.get("data_secret"),
            retryable=bool(data.get("retryable", False)),
        )

    def dumps(self) -> str:
        """The result as JSON text; ASCII-only, so that writing it can never fail on an odd character."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=True)


class InvalidResult(GradingFailure, ValueError):
    """A result file is malformed, incomplete or claims more than it may."""


def _schema() -> dict:
    return json.loads(resources.files("harness.wire").joinpath("result.schema.json").read_text())


def validate_schema(data: Any) -> None:
    """Raise :class:`InvalidResult` unless ``data`` matches the result schema."""
    import jsonschema

    try:
        jsonschema.validate(data, _schema())
    except jsonschema.ValidationError as error:
        location = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise InvalidResult(f"result does not match the schema at {location}: {error.message}") from None
