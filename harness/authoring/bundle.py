"""Make the candidate kit: skeletons, notebooks, public checks and the harness, nothing secret.

The kit holds ``exercises/``, each grader's public part, the ``harness``
package, ``pyproject.toml`` and a README.  Which grader files are public is the
project's file policy (:meth:`harness.project.Exercise.grader_files`), the same
one the docker staging follows: the kit never holds solutions, hidden checks,
mutants, variants or calibration records, and a helper listed as
``private_files`` in ``exercise.toml`` is replaced by its ``kit/`` stand-in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.errors import BadInput
from harness.project import Project, UnknownExercise

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


class BundleError(BadInput, ValueError):
    """The kit cannot be written where asked."""


def build_kit(*, out: Path, project: Project | None = None) -> list[Path]:
    """Write the candidate kit into ``out`` (which must not exist or be empty); return its files."""
    project = project or Project.current()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out} exists and is not empty; choose a new folder")
    if out.resolve().is_relative_to(project.root.resolve()):
        raise BundleError(f"{out} is inside the project; choose a folder outside it")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project.root / "harness", out / "harness", ignore=IGNORED)
    shutil.copytree(project.exercises_dir, out / "exercises", ignore=IGNORED)
    for exercise in project.exercises():
        try:
            files = exercise.grader_files(include_hidden=False, for_kit=True)
        except UnknownExercise as problem:
            raise BundleError(str(problem)) from None
        for source, relative in files:
            target = out / "graders" / exercise.slug / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shutil.copy2(project.pyproject, out / "pyproject.toml")
    (out / "README.md").write_text(KIT_README, encoding="utf-8")
    return sorted(path for path in out.rglob("*") if path.is_file())
