"""Every real exercise is sound: selftest on a few seeds (solution, skeleton "not implemented", mutants).

These grade the real exercises end to end (TensorFlow, gensim), so they are
marked slow. `grade selftest --seeds 20` is the full proof; this is its CI
sample.
"""

import pytest

from harness.authoring.selftest import selftest
from harness.project import Project, all_exercises

PROJECT_ROOT = Project.current().root

EXERCISES = [exercise.slug for exercise in all_exercises()]
CI_SEEDS = [0, 1]


@pytest.mark.slow
@pytest.mark.parametrize("slug", EXERCISES)
def test_selftest_holds(slug):
    rows = selftest(slugs=[slug], seeds=CI_SEEDS, backend="local")
    violations = [f"{row.subject}: expected {row.expected}, found {row.found}" for row in rows if not row.ok]
    assert not violations, "\n".join(violations)
    assert sum(row.kind == "mutant" for row in rows) >= 5, "each exercise needs at least 5 mutants"
    assert sum(row.kind == "variant" for row in rows) >= 3, "each exercise needs at least 3 correct variants"


@pytest.mark.parametrize("slug", EXERCISES)
def test_exercise_is_complete(slug):
    exercise = next(exercise for exercise in all_exercises() if exercise.slug == slug)
    assert (PROJECT_ROOT / "solutions" / slug / exercise.module).is_file()
    assert (PROJECT_ROOT / "exercises" / slug / "README.md").is_file()
    assert (exercise.grader_dir / "CALIBRATION.md").is_file()
    assert len(exercise.checks) >= 7, "at least 7 checks"
    assert sum(check.hidden for check in exercise.checks) >= 2, "at least 2 hidden checks"
    assert len(list((exercise.grader_dir / "mutants").glob("*.toml"))) >= 5, "at least 5 mutants"
    assert len(list((exercise.grader_dir / "variants").glob("*.toml"))) >= 3, "at least 3 correct variants"
