"""Make a Gradescope autograder: a zip that Gradescope builds into its image and runs on each submission.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the
image, then for every submission runs ``/autograder/run_autograder`` with the submitted files in
``/autograder/submission``; that must write ``/autograder/results/results.json``.  The zip holds:

- ``setup.sh``: makes a virtual environment in ``/opt/ml-grader`` and installs our pinned
  dependencies from the wheels in the zip (``wheels/``, built for the Python of Gradescope's base
  image), or from PyPI with the same pins (``--from-pypi``, a smaller zip); it then makes the graders
  and the secret readable by root only, since submissions run as another user;
- ``run_autograder``: grades the submission with our engine (the local backend: the grader and the
  candidate's code in separate processes, the code as an unprivileged user, with CPU budgets) and
  writes results.json, a grading error included: it never exits without one;
- ``project/``: the harness, each exercise's grader with its hidden checks, and its skeleton;
- ``autograder.json``: the exercises, and the data secret drawn for this zip: check data comes from it,
  and nothing a submission can read predicts it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import BadInput, GradingFailure
from harness.host.image import dependency_pins
from harness.project import HARNESS_DIR, HARNESS_PARENT, Exercise, Project, UnknownExercise
from harness.wire.spec import new_salt, parse_salt

CONFIG_FILE = "autograder.json"
CONFIG_FORMAT = "ml-grader gradescope autograder"
CONFIG_VERSION = 1
VENV = "/opt/ml-grader"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
LINUX_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
cd /autograder/source
want="{python}"
have="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)"
if [ "$have" != "$want" ]; then
    echo "setup.sh: this autograder was built for Python $want; the image has $have." >&2
    echo "Choose a Gradescope base image with Python $want, or rebuild with --python $have." >&2
    exit 1
fi
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt-get update && apt-get install -y python3-venv
fi
python3 -m venv {venv}
if [ -d wheels ]; then
    {venv}/bin/pip install --no-index --find-links wheels --no-cache-dir --disable-pip-version-check \\
        -r requirements.txt
else
    {venv}/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
fi
# Submissions run as an unprivileged user: the harness and Python are readable by all, the graders (with
# their hidden checks) and the data secret by root only.
chmod -R a+rX {venv} project/harness project/grader
chmod 755 /autograder /autograder/source project
chmod -R go-rwx project/graders {config}
cd project && PYTHONPATH=. {venv}/bin/python -c "import harness.host.gradescope_run" && echo "setup.sh: ready"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it must leave /autograder/results/results.json.
mkdir -p /autograder/results
cd /autograder/source/project
GRADE_PROJECT_ROOT=/autograder/source/project PYTHONPATH=/autograder/source/project \\
    {venv}/bin/python -m harness.host.gradescope_run --config /autograder/source/{config} \\
    --submission /autograder/submission --results /autograder/results/results.json
status=$?
if [ ! -s /autograder/results/results.json ]; then
    printf '%s\\n' '{{"score": 0, "output": "Grading error: the autograder stopped (exit code '"$status"') before \
writing a result. Nothing of this submission was scored; ask your instructor to regrade it.", "tests": []}}' \\
        > /autograder/results/results.json
fi
exit 0
"""


class AutograderError(BadInput, ValueError):
    """The autograder cannot be made as asked."""


def _python_tag(version: str) -> tuple[int, int]:
    try:
        major, minor = (int(part) for part in version.split("."))
    except ValueError:
        raise AutograderError(f"--python takes a version like 3.12, not {version!r}") from None
    if (major, minor) < (3, 11) or (major, minor) > (3, 13):
        raise AutograderError(
            f"the grader runs on Python 3.11 to 3.13, not {version}; Gradescope's Ubuntu 24.04 base image has 3.12"
        )
    return major, minor


def _exercises(slugs: list[str], project: Project) -> list[Exercise]:
    if not slugs:
        raise AutograderError("name the exercises this autograder grades, e.g. --exercises cnn")
    try:
        return [project.exercise(slug) for slug in dict.fromkeys(slugs)]
    except UnknownExercise as problem:
        raise AutograderError(str(problem)) from None


def _copy_project(project: Project, exercises: list[Exercise], target: Path) -> None:
    shutil.copytree(
        HARNESS_DIR, target / "harness", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "authoring")
    )  # the harness this command runs, with the candidate's tiers only
    shutil.copytree(HARNESS_PARENT / "grader", target / "grader", ignore=IGNORED)
    shutil.copy2(HARNESS_PARENT / "pyproject.toml", target / "pyproject.toml")
    for exercise in exercises:
        for source, relative in exercise.grader_files(include_hidden=True):
            destination = target / "graders" / exercise.slug / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
        skeleton = project.exercises_dir / exercise.slug
        if skeleton.is_dir():  # what the candidate was given: untouched copies of it are not graded
            shutil.copytree(skeleton, target / "exercises" / exercise.slug, ignore=IGNORED)
    manifest = project.exercises_dir / "manifest.json"
    if manifest.is_file():
        shutil.copy2(manifest, target / "exercises" / "manifest.json")


def _download_wheels(requirements: Path, target: Path, *, python: tuple[int, int], wheel_dir: Path | None) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(target),
        "-r",
        str(requirements),
    ]
    if wheel_dir is not None:
        command += ["--no-index", "--find-links", str(wheel_dir)]
    if python != sys.version_info[:2]:  # another Python: binary wheels only, for Gradescope's Linux
        command += [
            "--only-binary=:all:",
            "--python-version",
            f"{python[0]}.{python[1]}",
            "--implementation",
            "cp",
            *[part for platform in LINUX_PLATFORMS for part in ("--platform", platform)],
        ]
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if completed.returncode != 0:
        raise GradingFailure(
            f"pip download failed (exit code {completed.returncode}); a package with no wheel for "
            f"Python {python[0]}.{python[1]} needs a build on that Python:\n"
            f"{completed.stderr[-3000:]}"
        )


def build_autograder(
    *,
    exercises: list[str],
    out: Path,
    python: str | None = None,
    from_pypi: bool = False,
    wheel_dir: Path | None = None,
    data_secret: str | None = None,
    seed: int = 0,
    project: Project | None = None,
) -> Path:
    """Write the Gradescope autograder zip for ``exercises`` to ``out``; return its path."""
    project = project or Project.current()
    chosen = _exercises(exercises, project)
    version = _python_tag(python or f"{sys.version_info[0]}.{sys.version_info[1]}")
    secret = data_secret or new_salt()
    parse_salt(secret)
    out = Path(out)
    if out.suffix != ".zip":
        raise AutograderError(f"{out} should end in .zip: Gradescope takes the autograder as a zip file")
    extras = tuple(sorted({extra for exercise in chosen for extra in exercise.extras}))
    with tempfile.TemporaryDirectory(prefix="gradescope-autograder-") as work:
        root = Path(work)
        _copy_project(project, chosen, root / "project")
        requirements = root / "requirements.txt"
        requirements.write_text(
            "\n".join(dependency_pins(pyproject=HARNESS_PARENT / "pyproject.toml", extras=extras)) + "\n",
            encoding="utf-8",
        )
        if not from_pypi:
            _download_wheels(requirements, root / "wheels", python=version, wheel_dir=wheel_dir)
        python_text = f"{version[0]}.{version[1]}"
        (root / "setup.sh").write_text(
            SETUP_SH.format(python=python_text, venv=VENV, config=CONFIG_FILE), encoding="utf-8"
        )
        (root / "run_autograder").write_text(RUN_AUTOGRADER.format(venv=VENV, config=CONFIG_FILE), encoding="utf-8")
        (root / CONFIG_FILE).write_text(
            json.dumps(
                {
                    "format": CONFIG_FORMAT,
                    "version": CONFIG_VERSION,
                    "exercises": [exercise.slug for exercise in chosen],
                    "data_secret": secret,
                    "seed": seed,
                    "include_hidden": True,
                    "python": python_text,
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(root).as_posix()
                    info = zipfile.ZipInfo.from_file(path, relative)
                    info.external_attr = (0o755 if relative in ("setup.sh", "run_autograder") else 0o644) << 16
                    info.compress_type = zipfile.ZIP_STORED if path.suffix == ".whl" else zipfile.ZIP_DEFLATED
                    with path.open("rb") as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target)
        partial.replace(out)
    return out
