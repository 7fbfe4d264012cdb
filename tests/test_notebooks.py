"""Notebook submissions: graded like modules, with magics removed and problems named."""

from pathlib import Path

import nbformat
import pytest

from harness.authoring.notebooks import make_notebook
from harness.host.grading import grade_submission
from harness.host.staging import AmbiguousSubmission

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

SOLUTION = (Path(__file__).parent / "scenarios" / "scores_full_marks" / "probe.py").read_text()


def write_notebook(folder, notebook, name="probe.ipynb"):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / name)
    return folder


def grade(path):
    return grade_submission(path=path, exercise="probe", seed=0, backend="local", include_hidden=False)


def test_notebook_filled_with_the_solution_scores_full_marks(tmp_path, probe_graders):
    folder = write_notebook(tmp_path / "probe", make_notebook(SOLUTION, title="Probe", module="probe.py"))
    result = grade(folder)
    assert result.score == result.max_score == 5
    assert result.submission["file"] == "probe.ipynb"
    assert "graded the notebook probe.ipynb" in result.output


def test_magics_are_removed_with_a_note(tmp_path, probe_graders):
    notebook = make_notebook(SOLUTION, title="Probe", module="probe.py")
    notebook.cells[1].source = "%matplotlib inline\n!pip install nothing\n" + notebook.cells[1].source
    notebook.cells.append(nbformat.v4.new_code_cell("%%bash\nrm -rf /"))
    result = grade(write_notebook(tmp_path / "probe", notebook))
    assert result.score == 5
    assert "removed '%matplotlib inline'" in result.output and "removed '!pip install nothing'" in result.output
    assert "cell magic %%bash" in result.output


def test_cell_turned_to_markdown_loses_only_its_checks_with_a_note(tmp_path, probe_graders):
    notebook = make_notebook(SOLUTION, title="Probe", module="probe.py")
    scale_cell = next(cell for cell in notebook.cells if cell.source.startswith("def scale"))
    scale_cell.cell_type = "markdown"
    del scale_cell["outputs"], scale_cell["execution_count"]
    result = grade(write_notebook(tmp_path / "probe", notebook))
    assert result.score == 4
    assert "is a markdown cell but holds Python code" in result.output
    failed = [check for check in result.checks if check.score == 0]
    assert [check.check_id for check in failed] == ["test_public.py::test_scale"]
    assert "no function named 'scale'" in failed[0].output


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"cells": [', "is not a valid Jupyter notebook"),
        (b'{"nbformat": 4, "nbformat_minor": 5, "cells": "nope", "metadata": {}}', "is not a valid Jupyter notebook"),
        ("{}".encode("utf-16"), "is not UTF-8"),
    ],
)
def test_malformed_notebook_scores_0_with_a_clear_error(tmp_path, probe_graders, content, message):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "probe.ipynb").write_bytes(content)
    result = grade(folder)
    assert result.score == 0 and result.status.value == "fail"
    assert all(message in check.output for check in result.checks)


def test_filled_module_and_notebook_together_are_never_silently_chosen(tmp_path, probe_graders):
    folder = write_notebook(tmp_path / "probe", make_notebook(SOLUTION, title="Probe", module="probe.py"))
    (folder / "probe.py").write_text(SOLUTION)
    with pytest.raises(AmbiguousSubmission, match=r"both probe\.py and probe\.ipynb"):
        grade(folder)
    named = grade(folder / "probe.ipynb")
    assert named.score == 5 and named.submission["file"] == "probe.ipynb"
