"""check() inside a running notebook: executed cell by cell in a real kernel (nbclient), it grades what ran.

The probe exercise's notebook is filled in one cell at a time. check() first reports the
unfinished functions as not implemented, then, after the cells are filled and run again, full
marks; a scratch cell that raises costs nothing, and check("scale") runs only scale's checks.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from harness.authoring.notebooks import make_notebook
from harness.authoring.skeleton import make_skeleton

pytestmark = pytest.mark.integration  # runs a Jupyter kernel and grades end to end

SCENARIOS = Path(__file__).parent / "scenarios"
FULL = (SCENARIOS / "scores_full_marks" / "probe.py").read_text()
SKELETON = make_skeleton(
    FULL.replace(
        "def add(a, b):\n    return a + b", "def add(a, b):\n    # BEGIN SOLUTION\n    return a + b\n    # END SOLUTION"
    )
)


def _run(client: NotebookClient, notebook, index: int) -> str:
    """Run one cell and return everything it showed (text and HTML)."""
    cell = notebook.cells[index]
    client.execute_cell(cell, index)
    shown = []
    for output in cell.get("outputs", []):
        shown.append(output.get("text", ""))
        shown += [str(value) for value in output.get("data", {}).values()]
        if output.get("output_type") == "error":
            shown.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "\n".join(shown)


def test_check_grades_the_cells_that_ran_and_changes_as_they_are_filled(tmp_path, probe_graders, monkeypatch):
    folder = tmp_path / "probe"
    folder.mkdir()
    notebook = make_notebook(SKELETON, title="Probe", module="probe.py")
    code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    check_cell = code[-1]
    assert "check(" in notebook.cells[check_cell].source
    monkeypatch.setenv("GRADE_GRADERS_DIR", str(probe_graders))
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(folder)}}
    )
    with client.setup_kernel(env=dict(os.environ)):
        for index in code[:-1]:
            _run(client, notebook, index)
        before = _run(client, notebook, check_cell)
        assert "not implemented" in before and "probe: 3 / 5" in before, before[-2000:]
        assert "cell " in before and "line 3, in add" in before, "errors point at the cell and its line"

        add_cell = next(index for index in code if "def add" in notebook.cells[index].source)
        notebook.cells[add_cell].source = "def add(a, b):\n    return a + b"
        _run(client, notebook, add_cell)
        scratch = nbformat.v4.new_code_cell("# scratch\nraise RuntimeError('just trying')")
        notebook.cells.insert(check_cell, scratch)
        _run(client, notebook, check_cell)
        after = _run(client, notebook, check_cell + 1)
        assert "probe: 5 / 5" in after, after[-2000:]
        assert "1 hidden point" in after

        notebook.cells.append(
            nbformat.v4.new_code_cell(
                'result = check("scale", exercise="probe")\nprint("checks run:", len(result.checks))'
            )
        )
        only = _run(client, notebook, len(notebook.cells) - 1)
        assert "checks run: 1" in only and "probe: 1 / 1" in only, only[-2000:]
