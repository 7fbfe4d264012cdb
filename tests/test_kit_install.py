"""The kit, as a candidate uses it: built, installed in a fresh venv, used from its own folder.

- The smoke test, on the oldest and the newest Python it supports: installed with its core
  dependencies only (no TensorFlow), a NumPy exercise filled in with the reference solution is
  graded from the kit's folder: full public marks, the hidden points named, no instructor command.
- The notebook, executed cell by cell in a Jupyter kernel of that venv: check() reports the
  unfinished functions, then full marks once the cells are filled in and run again.
- ``grade --watch``, driven by writes to the file: the skeleton's 0, then full marks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from harness.authoring.bundle import build_kit
from harness.project import Project

pytestmark = pytest.mark.slow  # creates virtual environments and installs packages

PYENV = Path.home() / ".pyenv" / "versions"
PYTHONS = {"3.11": Path(sys.base_prefix) / "bin" / "python3", "3.13": PYENV / "3.13.0" / "bin" / "python3"}


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_kit_smoke_test_in_a_fresh_venv(version, tmp_path):
    python = PYTHONS[version]
    if not python.exists():
        pytest.skip(f"no Python {version} on this machine ({python})")
    kit = tmp_path / "kit"
    build_kit(out=kit)
    solution = Project.current().solutions_dir / "policy_gradient" / "policy_gradient.py"
    shutil.copyfile(solution, kit / "exercises" / "policy_gradient" / "policy_gradient.py")
    venv = tmp_path / "venv"
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", str(kit)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("GRADE_", "PYTHON"))}
    grade = subprocess.run(
        [str(venv / "bin" / "grade"), "exercises/policy_gradient", "--backend", "local"],
        cwd=kit,
        env=dict(environment, COLUMNS="120"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    shown = " ".join(grade.stdout.split())
    assert grade.returncode == 0, grade.stdout[-3000:] + grade.stderr[-3000:]
    exercise = Project(root=kit, graders_dir=kit / "graders").exercise("policy_gradient")
    assert f"Total: {exercise.public_points:g} / {exercise.public_points:g}" in shown, shown[-2000:]
    assert f"{exercise.hidden_points:g} hidden points" in shown
    listing = subprocess.run(
        [str(venv / "bin" / "grade"), "--help"], cwd=kit, capture_output=True, text=True, timeout=120
    ).stdout
    assert " selftest " not in listing and " run " in listing


NOTEBOOK_SCRIPT = r"""
import json, sys
import nbformat
from nbclient import NotebookClient

skeleton_path, solution_path, folder = sys.argv[1:4]
notebook = nbformat.read(skeleton_path, as_version=4)
solution = nbformat.read(solution_path, as_version=4)
code = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
filled = [cell.source for cell in solution.cells if cell.cell_type == "code"]
client = NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                        resources={"metadata": {"path": folder}})


def run(index):
    cell = notebook.cells[index]
    client.execute_cell(cell, index)
    return "\n".join(output.get("text", "") + "".join(str(value) for value in output.get("data", {}).values())
                     for output in cell.get("outputs", []))


shown = {}
with client.setup_kernel():
    for index in code[:-1]:
        run(index)
    shown["before"] = run(code[-1])
    for index, source in zip(code[:-1], filled[:-1]):  # the candidate fills the cells in, one at a time
        notebook.cells[index].source = source
        run(index)
    shown["after"] = run(code[-1])
print(json.dumps(shown))
"""


def _fresh_kit_venv(tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    kit = tmp_path / "kit"
    build_kit(out=kit)
    venv = tmp_path / "venv"
    subprocess.run([str(PYTHONS["3.11"]), "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", str(kit), *extra],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return kit, venv


def test_the_kit_notebook_turns_from_failing_to_passing_cell_by_cell_and_watch_follows_file_writes(tmp_path):
    from harness.authoring.notebooks import make_notebook

    kit, venv = _fresh_kit_venv(tmp_path, "ipykernel==7.4.0", "nbclient==0.11.0")
    exercise_dir = kit / "exercises" / "policy_gradient"
    solution = (Project.current().solutions_dir / "policy_gradient" / "policy_gradient.py").read_text()
    filled = tmp_path / "filled.ipynb"
    nbformat.write(make_notebook(solution, title="Policy gradient", module="policy_gradient.py"), filled)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("GRADE_", "PYTHON"))}
    environment = dict(environment, COLUMNS="120")
    notebook_run = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            NOTEBOOK_SCRIPT,
            str(exercise_dir / "policy_gradient.ipynb"),
            str(filled),
            str(exercise_dir),
        ],
        cwd=kit,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert notebook_run.returncode == 0, notebook_run.stdout[-3000:] + notebook_run.stderr[-3000:]
    shown = json.loads(notebook_run.stdout.strip().splitlines()[-1])
    exercise = Project(root=kit, graders_dir=kit / "graders").exercise("policy_gradient")
    total = f"{exercise.public_points:g} / {exercise.public_points:g}"
    assert "not implemented" in shown["before"] and total not in shown["before"], shown["before"][-2000:]
    assert total in " ".join(shown["after"].split()), shown["after"][-2000:]

    module = exercise_dir / "policy_gradient.py"
    watch = subprocess.Popen(
        [str(venv / "bin" / "grade"), str(module), "--watch", "--backend", "local"],
        cwd=kit,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = _read_until(watch, "Total:", timeout=300)
        assert f"Total: 0 / {exercise.public_points:g}" in " ".join(output.split()), output[-2000:]
        module.write_text(solution)  # the candidate saves the finished file
        output = _read_until(watch, total, timeout=300)
        assert total in " ".join(output.split()), output[-2000:]
    finally:
        watch.terminate()
        watch.wait(timeout=60)


def _read_until(process: subprocess.Popen, text: str, *, timeout: float) -> str:
    """Read the process's output until ``text`` appears (spaces and line breaks ignored), or the time is up."""
    import selectors
    import time

    # Read the pipe's descriptor, not the text wrapper: its readline() may pull several lines into its own
    # buffer, where select() cannot see them, and the wait would then miss output that already arrived.
    descriptor = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(descriptor, selectors.EVENT_READ)
    seen, deadline = b"", time.monotonic() + timeout
    wanted = "".join(text.split())
    while time.monotonic() < deadline and wanted not in "".join(seen.decode("utf-8", "replace").split()):
        if selector.select(timeout=1):
            chunk = os.read(descriptor, 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")
