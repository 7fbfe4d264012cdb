"""Every real exercise is sound: selftest on a few seeds (solution, skeleton "not implemented", mutants).

These grade the real exercises end to end (TensorFlow, gensim), so they are marked slow.

- In CI (``make test``): every exercise's reference solution gets full marks and its skeleton 0, on one
  secret; the whole selftest (variants, mutants, argument mutants) runs for the NumPy exercises only.
- Nightly (``make test-nightly``): the whole selftest of every exercise on two seeds. With 19
  exercises it takes well over an hour on 2 cores, more than CI's budget.

``grade selftest --seeds 20`` is the full proof; these are its samples.
"""

import pytest

from harness.authoring.selftest import selftest
from harness.host.grading import grade_submission
from harness.project import Project, all_exercises

PROJECT_ROOT = Project.current().root

EXERCISES = [exercise.slug for exercise in all_exercises()]
CI_SEEDS = [0, 1]
CI_SELFTEST = {"conv_layer", "policy_gradient"}  # NumPy only: the whole selftest in a minute each
REFERENCE_SECRET = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"


def _selftest_tier(slug: str):
    return pytest.param(slug, marks=pytest.mark.slow if slug in CI_SELFTEST else pytest.mark.nightly)


@pytest.mark.slow
@pytest.mark.parametrize("slug", EXERCISES)
def test_reference_gets_full_marks_and_the_skeleton_none(slug):
    exercise = next(exercise for exercise in all_exercises() if exercise.slug == slug)
    reference = grade_submission(
        path=exercise.solution_dir, exercise=slug, backend="local", include_hidden=True, data_secret=REFERENCE_SECRET
    )
    failed = [
        f"{check.check_id}: {check.outcome.value}: {check.output[:300]}"
        for check in reference.checks
        if check.score < check.max_score
    ]
    assert reference.score == reference.max_score > 0, "\n".join(failed)
    skeleton = grade_submission(
        path=exercise.skeleton_dir, exercise=slug, backend="local", include_hidden=True, data_secret=REFERENCE_SECRET
    )
    assert skeleton.score == 0 and skeleton.status.value == "fail", [check.outcome.value for check in skeleton.checks]


@pytest.mark.parametrize("slug", [_selftest_tier(slug) for slug in EXERCISES])
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
