"""Skeletons are generated from solutions, and the committed ones have not drifted."""

from pathlib import Path

import pytest

from harness.authoring.skeleton import MalformedSolution, exercise_title, make_skeleton, render_notebook

ROOT = Path(__file__).resolve().parent.parent

SOLUTION = '''import numpy as np


def double(x):
    """Return twice x."""
    # BEGIN SOLUTION: multiply by two
    y = x * 2
    return y
    # END SOLUTION
'''


def test_regions_become_todo_and_not_implemented():
    skeleton = make_skeleton(SOLUTION)
    assert '    """Return twice x."""' in skeleton
    assert "    # TODO: multiply by two\n    raise NotImplementedError('Multiply by two')" in skeleton
    assert "x * 2" not in skeleton
    compile(skeleton, "skeleton.py", "exec")


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    # BEGIN SOLUTION\n    pass\n",
        "def f():\n    pass\n    # END SOLUTION\n",
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n",
    ],
)
def test_malformed_markers_are_refused(source):
    with pytest.raises(MalformedSolution):
        make_skeleton(source)


SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.py"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.parent.name)
def test_committed_skeleton_matches_its_solution(solution):
    skeleton = ROOT / "exercises" / solution.parent.name / solution.name
    assert skeleton.exists(), f"{skeleton} is missing: run python -m harness.authoring.skeleton"
    assert skeleton.read_text() == make_skeleton(solution.read_text()), (
        f"{skeleton} has drifted from {solution}: run python -m harness.authoring.skeleton"
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.parent.name)
def test_committed_notebook_matches_its_skeleton(solution):
    notebook = ROOT / "exercises" / solution.parent.name / solution.with_suffix(".ipynb").name
    assert notebook.exists(), f"{notebook} is missing: run python -m harness.authoring.skeleton"
    expected = render_notebook(
        make_skeleton(solution.read_text()), title=exercise_title(ROOT, solution.parent.name), module=solution.name
    )
    assert notebook.read_text() == expected, f"{notebook} has drifted: run python -m harness.authoring.skeleton"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.parent.name)
def test_manifest_records_the_untouched_skeleton_and_notebook(solution):
    from harness.host.pristine import module_fingerprint, notebook_fingerprint, pristine_fingerprints

    folder = ROOT / "exercises" / solution.parent.name
    recorded = pristine_fingerprints(ROOT / "exercises", solution.parent.name)
    assert recorded == {
        "module": module_fingerprint(folder / solution.name),
        "notebook": notebook_fingerprint(folder / solution.with_suffix(".ipynb").name),
    }, "regenerate with: grade skeleton " + solution.parent.name
