"""Make the candidate kit: skeletons, notebooks, public checks and the harness, nothing secret.

The kit holds ``exercises/``, each grader's public part (``exercise.toml``,
``conftest.py``, ``test_public.py`` and helper modules), the ``harness``
package, ``pyproject.toml`` and a README.  It never holds solutions, hidden
checks, mutants or calibration records.  A grader helper that would give an
answer away is listed in ``exercise.toml`` as ``private_files`` and replaced in
the kit by the file of the same name in ``graders/<slug>/kit/``.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from harness.catalogue import HIDDEN_CHECKS_FILE, PROJECT_ROOT

SECRET_GRADER_PARTS = {HIDDEN_CHECKS_FILE, "mutants", "CALIBRATION.md", "AUTHORING.md"}
KIT_REPLACEMENTS_DIR = "kit"  # graders/<slug>/kit/X replaces a private graders/<slug>/X in the kit
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

KIT_README = """# Exercises kit

```bash
python3 -m venv .venv && .venv/bin/pip install -e .   # once
.venv/bin/grade list                                   # the exercises, their points and time budgets
.venv/bin/grade exercises/cnn                          # grade your work on one exercise
```

Each folder in `exercises/` holds the statement (README.md), a skeleton module and the same skeleton as a
Jupyter notebook: fill in whichever you prefer (if you fill in both, grade one by naming its file).
`grade` runs the public checks; instructors also run hidden checks, so a full score here is necessary but
not sufficient. `grade --help` explains the options and exit codes.
"""


class BundleError(ValueError):
    """The kit cannot be written where asked."""


def build_kit(*, out: Path, project_root: Path = PROJECT_ROOT) -> list[Path]:
    """Write the candidate kit into ``out`` (which must not exist or be empty); return its files."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out} exists and is not empty; choose a new folder")
    if out.resolve().is_relative_to(project_root.resolve()):
        raise BundleError(f"{out} is inside the project; choose a folder outside it")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project_root / "harness", out / "harness", ignore=IGNORED)
    shutil.copytree(project_root / "exercises", out / "exercises", ignore=IGNORED)
    for grader in sorted((project_root / "graders").iterdir()):
        if not (grader / "exercise.toml").exists():
            continue
        target = out / "graders" / grader.name
        target.mkdir(parents=True)
        private = set(tomllib.loads((grader / "exercise.toml").read_text(encoding="utf-8")).get("private_files", []))
        for name in sorted(private):
            replacement = grader / KIT_REPLACEMENTS_DIR / name
            if not replacement.is_file():
                raise BundleError(f"{grader.name}: private file {name} has no kit replacement {replacement}")
            shutil.copy2(replacement, target / name)
        for item in sorted(grader.iterdir()):
            if (item.name in SECRET_GRADER_PARTS | private | {KIT_REPLACEMENTS_DIR} or item.name.startswith(".")
                    or item.name == "__pycache__"):
                continue
            if item.is_dir():
                shutil.copytree(item, target / item.name, ignore=IGNORED)
            else:
                shutil.copy2(item, target / item.name)
    shutil.copy2(project_root / "pyproject.toml", out / "pyproject.toml")
    (out / "README.md").write_text(KIT_README, encoding="utf-8")
    return sorted(path for path in out.rglob("*") if path.is_file())
