"""Which file is graded when a folder holds both the .py skeleton and its notebook, judged by fingerprints.

In a candidate kit the files on disk are the candidate's own, so the untouched skeleton is known
only by the fingerprints in exercises/manifest.json. Fill only the notebook, only the module, or
both: each case picks the right file, or says what to do.
"""

import nbformat
import pytest

from harness.authoring.notebooks import make_notebook
from harness.host.pristine import module_fingerprint, notebook_fingerprint
from harness.host.staging import AmbiguousSubmission, choose_file

SKELETON = "def add(a, b):\n    raise NotImplementedError('add')\n"
FILLED = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "probe.py").write_text(SKELETON)
    (folder / "probe.ipynb").write_text(nbformat.writes(make_notebook(SKELETON, title="Probe", module="probe.py")))
    pristine = {
        "module": module_fingerprint(folder / "probe.py"),
        "notebook": notebook_fingerprint(folder / "probe.ipynb"),
    }
    return folder, pristine


def _fill_notebook(path, source):
    notebook = nbformat.reads(path.read_text(), as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    code[-1].source = source
    code[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran")]
    code[-1].execution_count = 7
    path.write_text(nbformat.writes(notebook))


def test_untouched_both_grades_the_module(folder):
    folder, pristine = folder
    chosen, notes = choose_file(folder, module="probe.py", pristine=pristine)
    assert chosen.name == "probe.py" and "neither" in notes[0]


def test_running_the_untouched_notebook_does_not_count_as_filling_it(folder):
    folder, pristine = folder
    notebook = nbformat.reads((folder / "probe.ipynb").read_text(), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.execution_count = 3
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello")]
    (folder / "probe.ipynb").write_text(nbformat.writes(notebook))
    (folder / "probe.py").write_text(FILLED)
    chosen, _ = choose_file(folder, module="probe.py", pristine=pristine)
    assert chosen.name == "probe.py"


def test_only_the_notebook_filled(folder):
    folder, pristine = folder
    _fill_notebook(folder / "probe.ipynb", FILLED)
    chosen, notes = choose_file(folder, module="probe.py", pristine=pristine)
    assert chosen.name == "probe.ipynb" and "untouched skeleton" in notes[0]


def test_only_the_module_filled(folder):
    folder, pristine = folder
    (folder / "probe.py").write_text(FILLED)
    chosen, _ = choose_file(folder, module="probe.py", pristine=pristine)
    assert chosen.name == "probe.py"


def test_both_filled_needs_a_rule(folder):
    folder, pristine = folder
    (folder / "probe.py").write_text(FILLED)
    _fill_notebook(folder / "probe.ipynb", FILLED)
    with pytest.raises(AmbiguousSubmission, match="both"):
        choose_file(folder, module="probe.py", pristine=pristine)
    for prefer, expected in (("module", "probe.py"), ("notebook", "probe.ipynb")):
        chosen, notes = choose_file(folder, module="probe.py", pristine=pristine, prefer=prefer)
        assert chosen.name == expected and prefer in notes[0]
    import os
    import time

    os.utime(folder / "probe.py", (time.time() - 100, time.time() - 100))
    chosen, notes = choose_file(folder, module="probe.py", pristine=pristine, prefer="newest")
    assert chosen.name == "probe.ipynb" and "newest" in notes[0]
