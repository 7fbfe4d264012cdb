"""Prove graders sound: correct solutions score full marks, wrong ones lose exactly their points.

For each exercise:

- the reference solution, and each **variant** (a correct solution written
  differently), must score full marks on every seed;
- the generated skeleton must score 0, every check saying "not implemented";
- each **mutant** must fail the checks it names on every mutant seed, and pass
  every other check, except that a check marked ``statistical`` may fail on some
  seeds only: those are reported as flaky, not as violations;
- each **argument mutant** (a solution that ignores one parameter; see
  :mod:`harness.authoring.argument_mutants`) must lose points, unless
  ``exercise.toml`` declares the argument unobservable with a reason.

Every run uses the same data secret (``SELFTEST_SECRET`` unless told otherwise),
so a selftest repeats exactly on any machine.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.authoring.argument_mutants import argument_mutants
from harness.authoring.mutants import (
    MalformedMutant,
    Mutant,
    exercise_mutants,
    exercise_variants,
    materialize,
    solution_file,
)
from harness.host.grading import grade_submission
from harness.project import Exercise, get_exercise
from harness.wire.results import Outcome, RunResult, Status

SELFTEST_SECRET = "5e1f7e575e1f7e575e1f7e575e1f7e57"  # public on purpose: selftest proves graders, grades nobody

Progress = Callable[[str], None]


@dataclass
class SelftestRow:
    exercise: str
    subject: str
    expected: str
    found: str
    ok: bool
    seconds: float = 0.0
    kind: str = "solution"  # solution, variant, skeleton, mutant, argument mutant
    flaky: list[str] = field(default_factory=list)  # statistical checks failed on some seeds only


@dataclass(frozen=True)
class SelftestSettings:
    seeds: tuple[int, ...]
    mutant_seeds: tuple[int, ...]
    backend: str = "local"
    data_secret: str = SELFTEST_SECRET
    argument_mutants: bool = True


def _failed_checks(result: RunResult) -> set[str]:
    return {check.check_id for check in result.checks if check.score < check.max_score}


def _short(check_id: str) -> str:
    return check_id.split("::")[-1]


def _grade(
    path: Path, exercise: Exercise, seed: int, settings: SelftestSettings, stop_at_first_failure: bool = False
) -> RunResult:
    return grade_submission(
        path=path,
        exercise=exercise.slug,
        seed=seed,
        backend=settings.backend,
        include_hidden=True,
        data_secret=settings.data_secret,
        stop_at_first_failure=stop_at_first_failure,
    )


def _full_marks_on_every_seed(
    exercise: Exercise, path: Path, subject: str, kind: str, settings: SelftestSettings, progress: Progress
) -> SelftestRow:
    failing_seeds: dict[str, list[int]] = defaultdict(list)
    errors = []
    seconds = []
    for seed in settings.seeds:
        result = _grade(path, exercise, seed, settings)
        seconds.append(result.durations.get("total_seconds", 0.0))
        if result.status is Status.ERROR:
            errors.append(f"seed {seed}: {result.error}")
        for check_id in _failed_checks(result):
            failing_seeds[check_id].append(seed)
        progress(f"{exercise.slug}: {subject}, seed {seed}: {result.score:g}/{result.max_score:g}")
    found = "full marks on every seed"
    if failing_seeds or errors:
        found = "; ".join(
            [f"{_short(check)} fails on seeds {values}" for check, values in sorted(failing_seeds.items())] + errors
        )
    return SelftestRow(
        exercise.slug,
        f"{subject} ({len(settings.seeds)} seeds)",
        "full marks on every seed",
        found,
        not failing_seeds and not errors,
        sum(seconds) / max(len(seconds), 1),
        kind=kind,
    )


def check_solution(exercise: Exercise, settings: SelftestSettings, progress: Progress) -> list[SelftestRow]:
    rows = [_full_marks_on_every_seed(exercise, exercise.solution_dir, "solution", "solution", settings, progress)]
    try:
        variants = exercise_variants(exercise)
    except MalformedMutant as error:
        return rows + [SelftestRow(exercise.slug, "variants", "valid variant files", str(error), False, kind="variant")]
    for variant in variants:
        with tempfile.TemporaryDirectory(prefix=f"variant-{variant.name}-") as folder:
            try:
                path = materialize(exercise, variant, Path(folder) / exercise.slug)
            except MalformedMutant as error:
                rows.append(
                    SelftestRow(exercise.slug, f"variant {variant.name}", "applies", str(error), False, kind="variant")
                )
                continue
            rows.append(
                _full_marks_on_every_seed(exercise, path, f"variant {variant.name}", "variant", settings, progress)
            )
    return rows


def check_skeleton(exercise: Exercise, settings: SelftestSettings) -> SelftestRow:
    result = _grade(exercise.skeleton_dir, exercise, settings.seeds[0], settings)
    other = [
        _short(check.check_id)
        for check in result.checks
        if check.outcome is not Outcome.NOT_IMPLEMENTED or "not implemented yet" not in check.output
    ]
    ok = result.score == 0 and result.status is not Status.ERROR and not other
    found = f"{result.score:g}/{result.max_score:g}" + (f", error: {result.error}" if result.error else "")
    if other:
        found += f", not 'not implemented': {', '.join(other)}"
    return SelftestRow(
        exercise.slug,
        "skeleton",
        "0 points, every check 'not implemented'",
        found,
        ok,
        result.durations.get("total_seconds", 0.0),
        kind="skeleton",
    )


def _judge_mutant(exercise: Exercise, mutant: Mutant, results: dict[int, RunResult]) -> SelftestRow:
    expected = set(mutant.fails)
    statistical = {check.check_id for check in exercise.checks if check.statistical}
    problems, flaky = [], []
    failed_by_seed = {seed: _failed_checks(result) for seed, result in results.items()}
    for seed, result in results.items():
        if result.status is Status.ERROR:
            problems.append(f"seed {seed}: error: {result.error}")
    for check_id in sorted(expected):
        missed = [seed for seed, failed in failed_by_seed.items() if check_id not in failed]
        if missed:
            problems.append(f"passes {_short(check_id)} on seeds {missed}")
    extra = set().union(*failed_by_seed.values()) - expected
    for check_id in sorted(extra):
        seeds = [seed for seed, failed in failed_by_seed.items() if check_id in failed]
        if check_id in statistical and len(seeds) < len(results):
            flaky.append(f"{_short(check_id)} on seeds {seeds}")
        else:
            problems.append(f"also fails {_short(check_id)} on seeds {seeds}")
    first = next(iter(results.values()))
    owed = sum(check.max_score for check in first.checks if check.check_id in expected)
    lost = sum(check.max_score - check.score for check in first.checks)
    found = "; ".join(problems) if problems else f"fails exactly its checks (−{lost:g} pts)"
    if flaky:
        found += f"; flaky statistical: {', '.join(flaky)}"
    seconds = sum(result.durations.get("total_seconds", 0.0) for result in results.values()) / len(results)
    return SelftestRow(
        exercise.slug,
        f"mutant {mutant.name}",
        f"fails {', '.join(sorted(_short(c) for c in expected))} (−{owed:g} pts)",
        found,
        not problems,
        seconds,
        kind="mutant",
        flaky=flaky,
    )


def check_mutants(exercise: Exercise, settings: SelftestSettings, progress: Progress) -> list[SelftestRow]:
    try:
        mutants = exercise_mutants(exercise)
    except MalformedMutant as error:
        return [SelftestRow(exercise.slug, "mutants", "valid mutant files", str(error), False, kind="mutant")]
    rows = (
        [] if mutants else [SelftestRow(exercise.slug, "mutants", "at least one mutant", "none", False, kind="mutant")]
    )
    declared = {check.check_id for check in exercise.checks}
    for mutant in mutants:
        unknown = set(mutant.fails) - declared
        if unknown:
            rows.append(
                SelftestRow(
                    exercise.slug,
                    f"mutant {mutant.name}",
                    "fails known checks",
                    f"names unknown checks: {sorted(unknown)}",
                    False,
                    kind="mutant",
                )
            )
            continue
        with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as folder:
            try:
                path = materialize(exercise, mutant, Path(folder) / exercise.slug)
            except MalformedMutant as error:
                rows.append(
                    SelftestRow(exercise.slug, f"mutant {mutant.name}", "applies", str(error), False, kind="mutant")
                )
                continue
            results = {seed: _grade(path, exercise, seed, settings) for seed in settings.mutant_seeds}
        rows.append(_judge_mutant(exercise, mutant, results))
        progress(f"{exercise.slug}: mutant {mutant.name}: {'ok' if rows[-1].ok else 'VIOLATION'}")
    return rows


def check_argument_mutants(exercise: Exercise, settings: SelftestSettings, progress: Progress) -> list[SelftestRow]:
    rows = []
    source = solution_file(exercise).read_text(encoding="utf-8")
    mutants = argument_mutants(source)
    known = {mutant.key for mutant in mutants}
    for key in sorted(set(exercise.unobservable_arguments) - known):
        rows.append(
            SelftestRow(
                exercise.slug,
                f"unobservable {key}",
                "names a parameter of the solution",
                "no such parameter",
                False,
                kind="argument mutant",
            )
        )
    for mutant in mutants:
        reason = exercise.unobservable_arguments.get(mutant.key)
        if reason is not None:
            rows.append(
                SelftestRow(
                    exercise.slug,
                    mutant.name,
                    "loses points, or is declared unobservable",
                    f"declared unobservable: {reason}",
                    True,
                    kind="argument mutant",
                )
            )
            continue
        with tempfile.TemporaryDirectory(prefix="argument-mutant-") as folder:
            path = materialize(exercise, mutant, Path(folder) / exercise.slug)
            result = _grade(path, exercise, settings.mutant_seeds[0], settings, stop_at_first_failure=True)
        failed = sorted(
            _short(check.check_id)
            for check in result.checks
            if check.score < check.max_score and check.outcome is not Outcome.NOT_RUN
        )
        ok = bool(failed) and result.status is not Status.ERROR
        found = f"fails {', '.join(failed)}" if failed else "full marks: no check notices"
        if result.error:
            found += f", error: {result.error}"
        rows.append(
            SelftestRow(
                exercise.slug,
                mutant.name,
                "loses points",
                found,
                ok,
                result.durations.get("total_seconds", 0.0),
                kind="argument mutant",
            )
        )
        progress(f"{exercise.slug}: {mutant.name}: {'ok' if ok else 'VIOLATION'}")
    return rows


def selftest(
    *,
    slugs: list[str],
    seeds: list[int],
    backend: str = "local",
    mutant_seeds: int = 1,
    include_argument_mutants: bool = True,
    data_secret: str = SELFTEST_SECRET,
    progress: Progress = lambda message: None,
) -> list[SelftestRow]:
    """Run every proof for each exercise and return one row per subject."""
    if not seeds:
        raise ValueError("selftest needs at least one seed")
    settings = SelftestSettings(
        seeds=tuple(seeds),
        mutant_seeds=tuple(seeds[: max(1, mutant_seeds)]),
        backend=backend,
        data_secret=data_secret,
        argument_mutants=include_argument_mutants,
    )
    rows: list[SelftestRow] = []
    for slug in slugs:
        exercise = get_exercise(slug)
        rows += check_solution(exercise, settings, progress)
        rows.append(check_skeleton(exercise, settings))
        rows += check_mutants(exercise, settings, progress)
        if settings.argument_mutants:
            rows += check_argument_mutants(exercise, settings, progress)
    return rows


def summary_table(rows: list[SelftestRow]) -> list[tuple[str, int, int, int, int, str]]:
    """Per exercise: (exercise, mutants, argument mutants, variants, violations, flaky statistical checks)."""
    table = []
    for exercise in dict.fromkeys(row.exercise for row in rows):
        mine = [row for row in rows if row.exercise == exercise]
        table.append(
            (
                exercise,
                sum(row.kind == "mutant" for row in mine),
                sum(row.kind == "argument mutant" and "declared unobservable" not in row.found for row in mine),
                sum(row.kind == "variant" for row in mine),
                sum(not row.ok for row in mine),
                "; ".join(f"{row.subject}: {', '.join(row.flaky)}" for row in mine if row.flaky) or "none",
            )
        )
    return table
