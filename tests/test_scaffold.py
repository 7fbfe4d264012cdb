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


def test_bad_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(tmp_path / "graders"))
    outcome = CliRunner().invoke(main, ["new", "Bad-Name"])
    assert outcome.exit_code == 2 and "not a valid exercise name" in outcome.output
