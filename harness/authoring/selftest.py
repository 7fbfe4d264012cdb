"""Prove graders sound: the solution scores full marks, the skeleton 0, every mutant loses its points.

For each exercise:

- the reference solution must score full marks on every seed (a check that
  fails on some seeds is reported as flaky, with those seeds);
- the generated skeleton must score 0, every check saying "not implemented";
- each mutant must fail exactly the checks it names, and pass all others.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.project import Exercise, get_exercise
from harness.host.grading import grade_submission
from harness.authoring.mutants import MalformedMutant, exercise_mutants, materialize
from harness.wire.results import Outcome, RunResult, Status


@dataclass
class SelftestRow:
    exercise: str
    subject: str
    expected: str
    found: str
    ok: bool
    seconds: float = 0.0


def _failed_checks(result: RunResult) -> set[str]:
    return {check.check_id for check in result.checks if check.score < check.max_score}


def _grade(path: Path, exercise: Exercise, seed: int, backend: str) -> RunResult:
    return grade_submission(path=path, exercise=exercise.slug, seed=seed, backend=backend, include_hidden=True)


def check_solution(exercise: Exercise, seeds: list[int], backend: str, progress) -> list[SelftestRow]:
    failing_seeds: dict[str, list[int]] = defaultdict(list)
    errors = []
    seconds = []
    for seed in seeds:
        result = _grade(exercise.solution_dir, exercise, seed, backend)
        seconds.append(result.durations.get("total_seconds", 0.0))
        if result.status is Status.ERROR:
            errors.append(f"seed {seed}: {result.error}")
        for check_id in _failed_checks(result):
            failing_seeds[check_id].append(seed)
        progress(f"{exercise.slug}: solution, seed {seed}: {result.score:g}/{result.max_score:g}")
    found = "full marks on every seed"
    if failing_seeds or errors:
        found = "; ".join([f"{check} fails on seeds {values}" for check, values in sorted(failing_seeds.items())]
                          + errors)
    return [SelftestRow(exercise.slug, f"solution ({len(seeds)} seeds)", "full marks on every seed", found,
                        not failing_seeds and not errors, sum(seconds) / max(len(seconds), 1))]


def check_skeleton(exercise: Exercise, seed: int, backend: str) -> SelftestRow:
    result = _grade(exercise.skeleton_dir, exercise, seed, backend)
    other = [_short(check.check_id) for check in result.checks
             if check.outcome is not Outcome.NOT_IMPLEMENTED or "not implemented yet" not in check.output]
    ok = result.score == 0 and result.status is not Status.ERROR and not other
    found = f"{result.score:g}/{result.max_score:g}" + (f", error: {result.error}" if result.error else "")
    if other:
        found += f", not 'not implemented': {', '.join(other)}"
    return SelftestRow(exercise.slug, "skeleton", "0 points, every check 'not implemented'", found, ok,
                       result.durations.get("total_seconds", 0.0))


def check_mutants(exercise: Exercise, seed: int, backend: str, progress) -> list[SelftestRow]:
    rows = []
    try:
        mutants = exercise_mutants(exercise)
    except MalformedMutant as error:
        return [SelftestRow(exercise.slug, "mutants", "valid mutant files", str(error), False)]
    if not mutants:
        rows.append(SelftestRow(exercise.slug, "mutants", "at least one mutant", "none", False))
    declared = {check.check_id for check in exercise.checks}
    for mutant in mutants:
        expected = set(mutant.fails)
        unknown = expected - declared
        if unknown:
            rows.append(SelftestRow(exercise.slug, f"mutant {mutant.name}", "fails known checks",
                                    f"names unknown checks: {sorted(unknown)}", False))
            continue
        with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as folder:
            try:
                path = materialize(exercise, mutant, Path(folder) / exercise.slug)
            except MalformedMutant as error:
                rows.append(SelftestRow(exercise.slug, f"mutant {mutant.name}", "applies", str(error), False))
                continue
            result = _grade(path, exercise, seed, backend)
        failed = _failed_checks(result)
        lost = sum(check.max_score - check.score for check in result.checks)
        owed = sum(check.max_score for check in result.checks if check.check_id in expected)
        ok = failed == expected and result.status is not Status.ERROR
        found = f"fails {', '.join(sorted(_short(c) for c in failed)) or 'nothing'} (−{lost:g} pts)"
        if result.error:
            found += f", error: {result.error}"
        rows.append(SelftestRow(exercise.slug, f"mutant {mutant.name}",
                                f"fails {', '.join(sorted(_short(c) for c in expected))} (−{owed:g} pts)",
                                found, ok, result.durations.get("total_seconds", 0.0)))
        progress(f"{exercise.slug}: mutant {mutant.name}: {'ok' if ok else 'VIOLATION'}")
    return rows


def _short(check_id: str) -> str:
    return check_id.split("::")[-1]


def selftest(*, slugs: list[str], seeds: list[int], backend: str = "local",
             progress: Callable[[str], None] = lambda message: None) -> list[SelftestRow]:
    """Run the three proofs for each exercise and return one row per subject."""
    rows: list[SelftestRow] = []
    for slug in slugs:
        exercise = get_exercise(slug)
        rows += check_solution(exercise, seeds, backend, progress)
        rows.append(check_skeleton(exercise, seeds[0], backend))
        rows += check_mutants(exercise, seeds[0], backend, progress)
    return rows
