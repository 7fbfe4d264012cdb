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
from harness.project import EXERCISE_FILE, Exercise, Project, UnknownExercise

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

KIT_README = """# Exercises kit

## Install (once)

Python 3.11, 3.12 or 3.13, on Linux, macOS or Windows.

```bash
python3 -m venv .venv
.venv/bin/pip install -e ".[all]"     # every exercise; or only what yours need (the table below)
```

`pip install -e .` alone grades the NumPy exercises; add `tf`, `gensim` or `surprise` for the others
(`pip install -e ".[tf]"`). With [uv](https://docs.astral.sh/uv/), `uv venv && uv pip install -e ".[all]"`
does the same, faster. On Windows the programs are in `.venv\\Scripts\\`.

| exercise | needs |
|---|---|
{extras_table}

## Use

```bash
.venv/bin/grade list                                 # the exercises, their points and CPU budgets
.venv/bin/grade exercises/cnn                        # grade your work on one exercise
.venv/bin/grade exercises/cnn --watch                # grade again on every save, showing what changed
.venv/bin/grade exercises/conv_layer --only conv2d_forward   # only the checks of one function
```

Each folder in `exercises/` holds the statement (README.md), a skeleton module and the same skeleton as a
Jupyter notebook: fill in whichever you prefer. In the notebook, run `check()` in a cell to grade what
you have run so far. `grade` runs the public checks; instructors also run hidden checks (the report says
how many points they hold), so a full score here is necessary but not sufficient. `grade --help` explains
the options and exit codes.

Your code runs in a separate process with a budget of CPU seconds and memory. On Linux the grader
enforces both and ends every process your code starts; on macOS and Windows some limits cannot be
enforced, and `grade` says which in one line.
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
    shutil.copytree(
        project.root / "harness", out / "harness", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "authoring")
    )  # the kit has the candidate's commands only
    shutil.copytree(project.exercises_dir, out / "exercises", ignore=IGNORED)
    shutil.copytree(project.root / "grader", out / "grader", ignore=IGNORED)  # check() for notebooks
    for exercise in project.exercises():
        try:
            files = exercise.grader_files(include_hidden=False, for_kit=True)
        except UnknownExercise as problem:
            raise BundleError(str(problem)) from None
        for source, relative in files:
            target = out / "graders" / exercise.slug / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        _record_hidden_points(out / "graders" / exercise.slug / EXERCISE_FILE, exercise)
    shutil.copy2(project.pyproject, out / "pyproject.toml")
    extras_table = "\n".join(
        f"| {exercise.slug} | {', '.join(exercise.extras) or 'the core only'} |" for exercise in project.exercises()
    )
    (out / "README.md").write_text(KIT_README.replace("{extras_table}", extras_table), encoding="utf-8")
    return sorted(path for path in out.rglob("*") if path.is_file())


def _record_hidden_points(config: Path, exercise: Exercise) -> None:
    """Tell the kit what the hidden checks it lacks are worth, so that reports never hide them."""
    text = config.read_text(encoding="utf-8")
    config.write_text(
        f"# Written by grade bundle: the hidden checks instructors also run.\n"
        f"kit_hidden_points = {exercise.hidden_points:g}\n"
        f"kit_hidden_checks = {exercise.hidden_check_count}\n\n{text}",
        encoding="utf-8",
    )
