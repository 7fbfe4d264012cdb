"""`grade new` scaffolds an exercise that passes selftest as it stands."""

import pytest
from click.testing import CliRunner

from harness.authoring.selftest import selftest
from harness.host.cli import main

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast


def test_new_exercise_passes_selftest(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(tmp_path / "graders"))
    outcome = CliRunner().invoke(main, ["new", "demo_exercise", "--title", "Demo"])
    assert outcome.exit_code == 0, outcome.output
    assert "grade selftest demo_exercise" in outcome.output
    assert (tmp_path / "exercises" / "demo_exercise" / "demo_exercise.ipynb").is_file()
    rows = selftest(slugs=["demo_exercise"], seeds=[0, 1], backend="local")
    assert all(row.ok for row in rows), [(row.subject, row.found) for row in rows if not row.ok]
    again = CliRunner().invoke(main, ["new", "demo_exercise"])
    assert again.exit_code == 2 and "exists already" in again.output


def _found(rows):
    return [(row.subject, row.found, row.ok) for row in rows]


def test_selftest_catches_wrong_proofs_and_runs_in_parallel(tmp_path, monkeypatch):
    """A mutant that breaks nothing and a "correct" variant that is wrong are violations, at any -j."""
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(tmp_path / "graders"))
    assert CliRunner().invoke(main, ["new", "demo_exercise"]).exit_code == 0
    grader = tmp_path / "graders" / "demo_exercise"
    (grader / "mutants" / "harmless.toml").write_text(
        'description = "Changes nothing that matters"\n'
        'fails = ["test_public.py::test_columns_have_mean_zero"]\n'
        '[[replace]]\nold = "x = np.asarray(x, dtype=np.float64)"\n'
        'new = "x = np.asarray(x, dtype=np.float64)  # same"\n',
        encoding="utf-8",
    )
    (grader / "variants" / "not_centred.toml").write_text(
        'description = "Forgets to subtract the mean"\n[[replace]]\nold = "(x - x.mean(axis=0))"\nnew = "x"\n',
        encoding="utf-8",
    )
    one_at_a_time = selftest(slugs=["demo_exercise"], seeds=[0, 1], backend="local", jobs=1)
    calibrations, messages = [], []
    two_at_a_time = selftest(
        slugs=["demo_exercise"],
        seeds=[0, 1],
        backend="local",
        jobs=2,
        on_calibration=calibrations.append,
        progress=messages.append,
    )
    assert _found(two_at_a_time) == _found(one_at_a_time)
    violations = {row.subject: row.found for row in two_at_a_time if not row.ok}
    assert set(violations) == {"mutant harmless", "variant not_centred (2 seeds)"}, violations
    assert "passes test_columns_have_mean_zero on seeds [0]" in violations["mutant harmless"]
    assert "test_columns_have_mean_zero fails on seeds [0, 1]" in violations["variant not_centred (2 seeds)"]
    assert messages[-1].startswith(f"demo_exercise: 2 of {len(two_at_a_time)} proofs violated (variant not_centred")
    (calibration,) = calibrations
    assert calibration.subjects[0] == "reference" and "not_centred" in calibration.subjects
    assert {seed for seed, score, maximum in calibration.scores["reference"] if score == maximum} == {0, 1}
    assert any("not_centred, seed 1" in failure for failure in calibration.failures)


def test_selftest_writes_the_calibration_it_measured(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(tmp_path / "graders"))
    assert CliRunner().invoke(main, ["new", "demo_exercise"]).exit_code == 0
    calibration = tmp_path / "graders" / "demo_exercise" / "CALIBRATION.md"
    calibration.unlink(missing_ok=True)
    outcome = CliRunner().invoke(main, ["selftest", "demo_exercise", "--seeds", "3", "-j", "2", "--write-calibration"])
    assert outcome.exit_code == 0, outcome.output
    text = calibration.read_text(encoding="utf-8")
    assert "seeds 0..2 (3 seeds)" in text and "`reference` (full marks on 3 of 3 seeds)" in text


def test_bad_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(tmp_path / "graders"))
    outcome = CliRunner().invoke(main, ["new", "Bad-Name"])
    assert outcome.exit_code == 2 and "not a valid exercise name" in outcome.output
