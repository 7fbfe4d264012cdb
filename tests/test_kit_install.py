"""The kit passes its own smoke test in a fresh venv, on the oldest and the newest Python it supports.

The kit is built, installed into a new virtual environment with its core dependencies only (no
TensorFlow), and a NumPy exercise filled in with the reference solution is graded from the kit's
folder: full public marks, the hidden points named, and no instructor command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
