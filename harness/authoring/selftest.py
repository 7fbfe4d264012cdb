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
so a selftest repeats exactly on any machine.  The gradings are planned first and
run ``jobs`` at a time (:mod:`harness.authoring.proof_runs`); the correct solutions'
runs also give the exercise's calibration, so one selftest can rewrite CALIBRATION.md.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.authoring.argument_mutants import argument_mutants
from harness.authoring.calibration import REFERENCE, Calibration
from harness.authoring.mutants import (
    MalformedMutant,
    Mutant,
    exercise_mutants,
    exercise_variants,
    materialize,
    solution_file,
)
from harness.authoring.proof_runs import SELFTEST_SECRET, Progress, ProofRun, run_all
from harness.project import Exercise, get_exercise
from harness.wire.results import Outcome, RunResult, Status


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


def _full_marks_on_every_seed(
    exercise: Exercise, subject: str, kind: str, results: dict[int, RunResult]
) -> SelftestRow:
    failing_seeds: dict[str, list[int]] = defaultdict(list)
    errors = []
    for seed, result in results.items():
        if result.status is Status.ERROR:
            errors.append(f"seed {seed}: {result.error}")
        for check_id in _failed_checks(result):
            failing_seeds[check_id].append(seed)
    found = "full marks on every seed"
    if failing_seeds or errors:
        found = "; ".join(
            [f"{_short(check)} fails on seeds {values}" for check, values in sorted(failing_seeds.items())] + errors
        )
    return SelftestRow(
        exercise.slug,
        f"{subject} ({len(results)} seeds)",
        "full marks on every seed",
        found,
        not failing_seeds and not errors,
        _mean_seconds(results.values()),
        kind=kind,
    )


def _mean_seconds(results: Iterable[RunResult]) -> float:
    seconds = [result.durations.get("total_seconds", 0.0) for result in results]
    return sum(seconds) / max(len(seconds), 1)


def _judge_skeleton(exercise: Exercise, result: RunResult) -> SelftestRow:
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
    return SelftestRow(
        exercise.slug,
        f"mutant {mutant.name}",
        f"fails {', '.join(sorted(_short(c) for c in expected))} (−{owed:g} pts)",
        found,
        not problems,
        _mean_seconds(results.values()),
        kind="mutant",
        flaky=flaky,
    )


def _judge_argument_mutant(exercise: Exercise, name: str, result: RunResult) -> SelftestRow:
    failed = sorted(
        _short(check.check_id)
        for check in result.checks
        if check.score < check.max_score and check.outcome is not Outcome.NOT_RUN
    )
    ok = bool(failed) and result.status is not Status.ERROR
    found = f"fails {', '.join(failed)}" if failed else "full marks: no check notices"
    if result.error:
        found += f", error: {result.error}"
    return SelftestRow(
        exercise.slug,
        name,
        "loses points",
        found,
        ok,
        result.durations.get("total_seconds", 0.0),
        kind="argument mutant",
    )


@dataclass
class _Plan:
    """What one exercise's proof grades, materialised in a folder, and the rows it already knows."""

    correct: list[tuple[str, str, Path]] = field(default_factory=list)  # (subject, name in the calibration, path)
    mutants: list[tuple[Mutant, Path]] = field(default_factory=list)
    argument_mutants: list[tuple[str, Path]] = field(default_factory=list)
    known_rows: list[SelftestRow] = field(default_factory=list)  # malformed files, unobservable arguments


def _plan(exercise: Exercise, settings: SelftestSettings, folder: Path) -> _Plan:
    plan = _Plan(correct=[("solution", REFERENCE, exercise.solution_dir)])
    slug = exercise.slug

    def place(subject_kind: str, mutant, name: str) -> Path | None:
        try:
            return materialize(exercise, mutant, folder / subject_kind / mutant.name / slug)
        except MalformedMutant as error:
            plan.known_rows.append(SelftestRow(slug, name, "applies", str(error), False, kind=subject_kind))
            return None

    try:
        variants = exercise_variants(exercise)
    except MalformedMutant as error:
        variants = []
        plan.known_rows.append(SelftestRow(slug, "variants", "valid variant files", str(error), False, kind="variant"))
    for variant in variants:
        path = place("variant", variant, f"variant {variant.name}")
        if path is not None:
            plan.correct.append((f"variant {variant.name}", variant.name, path))

    try:
        mutants = exercise_mutants(exercise)
    except MalformedMutant as error:
        mutants = None
        plan.known_rows.append(SelftestRow(slug, "mutants", "valid mutant files", str(error), False, kind="mutant"))
    if mutants == []:
        plan.known_rows.append(SelftestRow(slug, "mutants", "at least one mutant", "none", False, kind="mutant"))
    declared = {check.check_id for check in exercise.checks}
    for mutant in mutants or []:
        unknown = set(mutant.fails) - declared
        if unknown:
            plan.known_rows.append(
                SelftestRow(
                    slug,
                    f"mutant {mutant.name}",
                    "fails known checks",
                    f"names unknown checks: {sorted(unknown)}",
                    False,
                    kind="mutant",
                )
            )
            continue
        path = place("mutant", mutant, f"mutant {mutant.name}")
        if path is not None:
            plan.mutants.append((mutant, path))

    if settings.argument_mutants:
        _plan_argument_mutants(exercise, plan, folder)
    return plan


def _plan_argument_mutants(exercise: Exercise, plan: _Plan, folder: Path) -> None:
    slug = exercise.slug
    mutants = argument_mutants(solution_file(exercise).read_text(encoding="utf-8"))
    known = {mutant.key for mutant in mutants}
    for key in sorted(set(exercise.unobservable_arguments) - known):
        plan.known_rows.append(
            SelftestRow(
                slug,
                f"unobservable {key}",
                "names a parameter of the solution",
                "no such parameter",
                False,
                kind="argument mutant",
            )
        )
    for index, mutant in enumerate(mutants):
        reason = exercise.unobservable_arguments.get(mutant.key)
        if reason is not None:
            plan.known_rows.append(
                SelftestRow(
                    slug,
                    mutant.name,
                    "loses points, or is declared unobservable",
                    f"declared unobservable: {reason}",
                    True,
                    kind="argument mutant",
                )
            )
            continue
        path = materialize(exercise, mutant, folder / f"argument-mutant-{index}" / slug)
        plan.argument_mutants.append((mutant.name, path))


def _runs(exercise: Exercise, plan: _Plan, settings: SelftestSettings) -> list[ProofRun]:
    runs = [ProofRun(subject, path, seed) for subject, _, path in plan.correct for seed in settings.seeds]
    runs.append(ProofRun("skeleton", exercise.skeleton_dir, settings.seeds[0]))
    runs += [
        ProofRun(f"mutant {mutant.name}", path, seed) for mutant, path in plan.mutants for seed in settings.mutant_seeds
    ]
    runs += [
        ProofRun(name, path, settings.mutant_seeds[0], stop_at_first_failure=True)
        for name, path in plan.argument_mutants
    ]
    return runs


def prove_exercise(
    exercise: Exercise, settings: SelftestSettings, *, jobs: int = 1, progress: Progress = lambda message: None
) -> tuple[list[SelftestRow], Calibration]:
    """Every proof of one exercise, and the calibration its correct solutions' runs give on the way."""
    with tempfile.TemporaryDirectory(prefix=f"selftest-{exercise.slug}-") as folder:
        plan = _plan(exercise, settings, Path(folder))
        results = run_all(
            _runs(exercise, plan, settings),
            slug=exercise.slug,
            backend=settings.backend,
            data_secret=settings.data_secret,
            jobs=jobs,
            progress=progress,
        )
    calibration = Calibration(slug=exercise.slug, seeds=list(settings.seeds))
    rows = []
    for subject, name, _ in plan.correct:
        by_seed = {seed: results[subject, seed] for seed in settings.seeds}
        kind = "solution" if name == REFERENCE else "variant"
        rows.append(_full_marks_on_every_seed(exercise, subject, kind, by_seed))
        for seed, result in by_seed.items():
            calibration.add(name, seed, result)
    rows.append(_judge_skeleton(exercise, results["skeleton", settings.seeds[0]]))
    for mutant, _ in plan.mutants:
        by_seed = {seed: results[f"mutant {mutant.name}", seed] for seed in settings.mutant_seeds}
        rows.append(_judge_mutant(exercise, mutant, by_seed))
    for name, _ in plan.argument_mutants:
        rows.append(_judge_argument_mutant(exercise, name, results[name, settings.mutant_seeds[0]]))
    order = ["solution", "variant", "skeleton", "mutant", "argument mutant"]
    rows = sorted(rows + plan.known_rows, key=lambda row: order.index(row.kind))  # stable: planned order kept
    return rows, calibration


def selftest(
    *,
    slugs: list[str],
    seeds: list[int],
    backend: str = "local",
    mutant_seeds: int = 1,
    include_argument_mutants: bool = True,
    data_secret: str = SELFTEST_SECRET,
    jobs: int = 1,
    on_calibration: Callable[[Calibration], None] = lambda calibration: None,
    progress: Progress = lambda message: None,
) -> list[SelftestRow]:
    """Run every proof for each exercise, ``jobs`` gradings at a time, and return one row per subject.

    ``on_calibration`` receives each exercise's calibration, measured by the same runs that proved
    its correct solutions (``grade selftest --write-calibration`` writes it as CALIBRATION.md).
    """
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
        exercise_rows, calibration = prove_exercise(get_exercise(slug), settings, jobs=jobs, progress=progress)
        rows += exercise_rows
        violated = [row.subject for row in exercise_rows if not row.ok]
        progress(
            f"{slug}: {len(violated)} of {len(exercise_rows)} proofs violated ({', '.join(violated)})"
            if violated
            else f"{slug}: all {len(exercise_rows)} proofs hold"
        )
        on_calibration(calibration)
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
