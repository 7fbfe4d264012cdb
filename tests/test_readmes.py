"""Each exercise's README states the original questions, the contract, and a grading table that matches the grader."""

import re

import pytest

from harness.project import Project

EXERCISES = Project.current().exercises()
ROW = re.compile(
    r"^\|\s*(?P<check>`test_[a-z0-9_]+`|\(hidden\))\s*\|\s*(?P<points>[0-9.]+)\s*\|\s*(?P<visible>\w+)\s*\|"
)


def _readme(exercise) -> str:
    return (exercise.skeleton_dir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.slug)
def test_readme_has_the_required_sections(exercise):
    text = _readme(exercise)
    headings = [line.lower() for line in text.splitlines() if line.startswith("#")]
    assert any("原题" in heading or "original" in heading for heading in headings), "the original questions"
    assert any("api contract" in heading for heading in headings), "an API contract section"
    assert any("how it is graded" in heading for heading in headings), "a 'How it is graded' section"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: exercise.slug)
def test_grading_table_matches_the_checks(exercise):
    """Public checks are listed by id with their points; hidden ones as '(hidden)' rows with theirs."""
    rows = [ROW.match(line) for line in _readme(exercise).split("## How it is graded", 1)[-1].splitlines()]
    rows = [row for row in rows if row]
    public = {row["check"].strip("`"): float(row["points"]) for row in rows if row["check"] != "(hidden)"}
    hidden = sorted(float(row["points"]) for row in rows if row["check"] == "(hidden)")
    declared_public = {check.function: check.points for check in exercise.checks if not check.hidden}
    declared_hidden = sorted(check.points for check in exercise.checks if check.hidden)
    assert public == declared_public, "the README's public checks and points differ from test_public.py"
    assert hidden == declared_hidden, "the README's hidden rows (points) differ from test_hidden.py"
    total = exercise.max_score(include_hidden=True)
    public_total = exercise.max_score(include_hidden=False)
    assert re.search(
        rf"Total: {total:g} points \({public_total:g} public, {total - public_total:g} hidden\)", _readme(exercise)
    ), "the README's 'Total: N points (P public, H hidden)' line"
