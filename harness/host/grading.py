"""Grade one submission for one exercise, on the host: stage, run on a backend, validate.

The grader process's result is not taken on trust: it must match the schema,
hold exactly the checks the exercise declares, with no score above its
maximum.  Whatever goes wrong, the caller gets a complete :class:`RunResult`.
"""

from __future__ import annotations

import difflib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from harness.errors import BadInput
from harness.host.backends import choose_backend
from harness.host.backends.base import Backend, RunOutput, RunRequest
from harness.host.pristine import pristine_fingerprints
from harness.host.staging import BrokenSubmission, StagedSubmission, stage_submission
from harness.project import Exercise, UnknownExercise, all_exercises, get_exercise
from harness.usage import functions_used
from harness.wire.results import CheckResult, InvalidResult, Outcome, RunResult, validate_schema
from harness.wire.spec import fingerprint, new_salt, parse_salt
from harness.wire.versions import library_versions


def resolve_exercise(path: Path, slug: str | None) -> Exercise:
    """Find the exercise for a submission: given by name, or known from the folder or file name."""
    if slug:
        return get_exercise(slug)
    path = Path(path)
    candidates = [path.name, path.stem] if path.is_file() else [path.resolve().name]
    known = {exercise.slug: exercise for exercise in all_exercises()}
    for candidate in candidates:
        if candidate in known:
            return known[candidate]
    for exercise in known.values():  # a folder holding the exercise's file, whatever its name
        if path.is_dir() and (path / exercise.module).is_file():
            return exercise
    raise UnknownExercise(
        f"cannot tell which exercise {path} is; name it with --exercise (one of: {', '.join(sorted(known))})"
    )


def select_checks(exercise: Exercise, names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The check ids ``--only`` names mean: a check (``test_x`` or its full id) or a function it uses."""
    used = functions_used(exercise.grader_dir)
    chosen: list[str] = []
    for name in names:
        matching = [
            check.check_id
            for check in exercise.checks
            if name in (check.check_id, check.function) or name in used.get(check.function, ())
        ]
        if not matching:
            functions = sorted(set().union(*used.values())) if used else []
            choices = [check.function for check in exercise.checks] + functions
            close = difflib.get_close_matches(name, choices, n=1)
            raise BadInput(
                f"--only {name}: no check of {exercise.slug} is called that or uses a function of that "
                f"name" + (f"; did you mean {close[0]!r}?" if close else "") + f" (functions: {', '.join(functions)})"
            )
        chosen += [check_id for check_id in matching if check_id not in chosen]
    return tuple(chosen)


def unrun_result(
    exercise: Exercise,
    *,
    include_hidden: bool,
    seed: int,
    message: str,
    outcome: Outcome = Outcome.NOT_RUN,
    error: str | None = None,
    output: str = "",
    only: tuple[str, ...] = (),
) -> RunResult:
    """A result listing every check the run would have had, none of them run."""
    specs = [spec for spec in exercise.checks_for(include_hidden=include_hidden) if not only or spec.check_id in only]
    return RunResult.unrun(
        exercise=exercise.slug,
        seed=seed,
        specs=specs,
        message=message,
        outcome=outcome,
        error=error,
        output=output,
        versions=library_versions(),
    )


def reconcile(
    raw: RunOutput,
    *,
    exercise: Exercise,
    include_hidden: bool,
    seed: int,
    data_secret: str | None = None,
    only: tuple[str, ...] = (),
) -> RunResult:
    """Turn what a backend returned into a complete, validated result."""
    expected = {
        spec.check_id: spec
        for spec in exercise.checks_for(include_hidden=include_hidden)
        if not only or spec.check_id in only
    }
    if raw.result is None:
        reason = raw.failure or "the grading run produced no result"
        return unrun_result(
            exercise,
            include_hidden=include_hidden,
            seed=seed,
            message=f"not run: {reason}",
            error=reason,
            output=raw.log,
            only=only,
        ).clean()
    try:
        result = RunResult.from_json(raw.result).clean()  # validates against the schema first
    except (InvalidResult, KeyError, ValueError, TypeError) as error:
        return unrun_result(
            exercise,
            include_hidden=include_hidden,
            seed=seed,
            only=only,
            message="not run: the result was rejected",
            error=f"the grader's result was rejected: {error}",
        )
    problems = []
    if result.exercise != exercise.slug:
        problems.append(f"the result is for exercise {result.exercise!r}, not {exercise.slug!r}")
    if result.seed != seed:
        problems.append(f"the result is for seed {result.seed}, not {seed}")
    if data_secret is not None and result.data_secret != fingerprint(data_secret):
        problems.append("the result was not made with this run's data secret")
    found = {check.check_id: check for check in result.checks}
    for check_id in found.keys() - expected.keys():
        problems.append(f"the result holds a check the exercise does not declare: {check_id}")
    checks = []
    for check_id, spec in expected.items():
        check = found.get(check_id)
        if check is None:
            problems.append(f"check {check_id} is missing from the result")
            check = CheckResult(
                check_id, spec.name, spec.points, output="not run: missing from the result", hidden=spec.hidden
            )
        if check.max_score != spec.points:
            problems.append(f"check {check_id} claims {check.max_score} points; it is worth {spec.points}")
            check.max_score = spec.points
        if not 0 <= check.score <= check.max_score:
            problems.append(f"check {check_id} scored {check.score} of {check.max_score}")
            check.score = 0.0
        if check.outcome is Outcome.ERROR and check.score:
            problems.append(f"check {check_id} could not be judged but scored {check.score}")
            check.score = 0.0
        if (check.score > 0) != (check.outcome is Outcome.PASSED):
            problems.append(f"check {check_id} has score {check.score} with outcome {check.outcome.value}")
            check.score = 0.0
        check.hidden = spec.hidden
        checks.append(check)
    result.checks = checks
    if problems:
        result.error = "; ".join(([result.error] if result.error else []) + problems)
    return result


def grade_submission(
    *,
    path: Path,
    exercise: str | None = None,
    seed: int = 0,
    backend: str = "auto",
    include_hidden: bool = False,
    data_secret: str | None = None,
    threads: int = 1,
    stop_at_first_failure: bool = False,
    prefer: str | None = None,
    only: list[str] | tuple[str, ...] = (),
    on_progress=None,
    notify: Callable[..., None] = lambda message, always=False: None,
) -> RunResult:
    """Grade the submission at ``path`` and return its complete, validated result.

    ``data_secret`` (hex) with ``seed`` determines every check's data; without it a fresh one is
    drawn, so that nothing the submission can see predicts the checks.
    """
    started = time.perf_counter()
    chosen_exercise = resolve_exercise(path, exercise)
    selected = select_checks(chosen_exercise, only) if only else ()
    if data_secret is None:
        data_secret = new_salt()
    parse_salt(data_secret)
    choice = choose_backend(backend)
    if choice.reason:
        notify(f"using the local backend: {choice.reason}")  # -v only: auto chose what it could
    if choice.backend.notice():
        notify(choice.backend.notice(), always=True)
    if choice.backend.details():
        notify(choice.backend.details())
    with tempfile.TemporaryDirectory(prefix="grade-submission-") as staging_dir:
        os.chmod(staging_dir, 0o711)  # a worker running as another user may enter, not list
        try:
            staged = stage_submission(
                Path(path),
                Path(staging_dir) / "submission",
                module=chosen_exercise.module,
                pristine=pristine_fingerprints(chosen_exercise.project_root / "exercises", chosen_exercise.slug),
                prefer=prefer,
            )
        except BrokenSubmission as problem:  # the candidate's own file, unusable: it scores 0, with the reason
            result = unrun_result(
                chosen_exercise,
                include_hidden=include_hidden,
                seed=seed,
                message=str(problem),
                outcome=Outcome.FAILED,
                output=str(problem),
                only=selected,
            )
            return _finish(result, started=started, backend=choice.backend, staged=None, path=path)
        request = RunRequest(
            exercise=chosen_exercise,
            submission_dir=staged.directory,
            module_file=staged.module_file,
            seed=seed,
            include_hidden=include_hidden,
            data_secret=data_secret,
            threads=threads,
            stop_at_first_failure=stop_at_first_failure,
            only=selected,
        )
        raw = choice.backend.run(request, on_progress=on_progress)
    result = reconcile(
        raw, exercise=chosen_exercise, include_hidden=include_hidden, seed=seed, data_secret=data_secret, only=selected
    )
    if selected:
        skipped = len(chosen_exercise.checks_for(include_hidden=include_hidden)) - len(result.checks)
        result.output = f"--only: ran {len(result.checks)} of the exercise's checks ({skipped} not run)." + (
            "\n\n" + result.output if result.output else ""
        )
    result.image = raw.image
    if staged.notes:
        result.output = "\n".join(f"Note: {note}" for note in staged.notes) + (
            "\n\n" + result.output if result.output else ""
        )
    return _finish(result, started=started, backend=choice.backend, staged=staged, path=path)


def _finish(
    result: RunResult, *, started: float, backend: Backend, staged: StagedSubmission | None, path: Path
) -> RunResult:
    result.backend = backend.name
    result.submission = staged.describe() if staged else {"path": str(path)}
    result.durations["total_seconds"] = round(time.perf_counter() - started, 3)
    result.clean()
    validate_schema(result.to_json())
    return result
