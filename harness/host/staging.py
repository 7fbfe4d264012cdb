"""Find the file to grade in what the candidate handed in, and copy it somewhere safe.

The copy is what backends run: a symlink that leaves the submission (say to
``/etc/passwd``), a huge file or thousands of files are refused here, on the
host, before any code runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput
from harness.host.notebooks import MalformedNotebook, notebook_to_module
from harness.host.pristine import module_fingerprint, notebook_fingerprint

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_SUBMISSION_FILES = 500
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".git", ".venv", "node_modules"}


class UnsafeSubmission(BadInput, ValueError):
    """The submission holds something the grader refuses to copy (a link outside it, too much data)."""


class MissingSubmissionFile(BadInput, ValueError):
    """The submission lacks the file the exercise grades."""


class BrokenSubmission(ValueError):
    """The file to grade is there but cannot be turned into a module (a malformed notebook): it scores 0."""


class AmbiguousSubmission(BadInput, ValueError):
    """Both the module and the notebook are filled in, and nothing says which one to grade."""


@dataclass(frozen=True)
class StagedSubmission:
    """A submission copied into a private folder, and the module file to import there."""

    directory: Path
    module_file: str
    source: Path
    sha256: str
    notes: tuple[str, ...] = ()

    def describe(self) -> dict:
        return {"path": str(self.source), "file": self.source.name, "sha256": self.sha256}


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _files_to_copy(source: Path) -> list[tuple[Path, Path]]:
    """List (original, relative path) pairs, refusing links that leave the submission."""
    root = source.resolve()
    pairs: list[tuple[Path, Path]] = []
    total = 0
    for directory, subdirectories, files in os.walk(source, followlinks=False):
        subdirectories[:] = sorted(name for name in subdirectories if name not in SKIPPED_NAMES)
        for name in list(subdirectories) + sorted(files):
            path = Path(directory) / name
            if path.is_symlink():
                target = path.resolve()
                if not _inside(target, root):
                    raise UnsafeSubmission(
                        f"{path.relative_to(source)} is a symbolic link to {os.readlink(path)}, outside the "
                        "submission; links out of a submission are refused"
                    )
                if path.is_dir():
                    subdirectories.remove(name)  # its contents are copied where they really are
                    continue
        for name in sorted(files):
            path = Path(directory) / name
            if not path.is_file():
                continue
            total += path.stat().st_size
            pairs.append((path, path.relative_to(source)))
            if len(pairs) > MAX_SUBMISSION_FILES:
                raise UnsafeSubmission(f"the submission has more than {MAX_SUBMISSION_FILES} files")
            if total > MAX_SUBMISSION_BYTES:
                raise UnsafeSubmission(f"the submission is larger than {MAX_SUBMISSION_BYTES // 2**20} MB")
    return pairs


PREFERENCES = ("module", "notebook", "newest")


def choose_file(
    folder: Path, *, module: str, pristine: dict[str, str | None] | None = None, prefer: str | None = None
) -> tuple[Path, list[str]]:
    """Pick the file to grade in a folder: the module, or the notebook, whichever was filled in.

    Only one of ``<module>.py`` and ``<module>.ipynb`` present: that one.  Both present: the one
    that differs from the untouched skeleton (the fingerprints in ``pristine``, see
    :mod:`harness.host.pristine`).  If both differ, ``prefer`` decides (``module``, ``notebook``, or
    the ``newest`` modified); without it, :class:`AmbiguousSubmission` (grade one file by naming it).
    """
    if prefer is not None and prefer not in PREFERENCES:
        raise ValueError(f"prefer must be one of {', '.join(PREFERENCES)}")
    python_file = folder / module
    notebook = folder / (Path(module).stem + ".ipynb")
    if not python_file.is_file() and not notebook.is_file():
        present = sorted(path.name for path in folder.glob("*.py")) + sorted(
            path.name for path in folder.glob("*.ipynb")
        )
        raise MissingSubmissionFile(
            f"{folder} has no {module} (or {notebook.name}), the file this exercise grades"
            + (f" (found: {', '.join(present)})" if present else "")
        )
    if not notebook.is_file():
        return python_file, []
    if not python_file.is_file():
        return notebook, []
    pristine = pristine or {}
    python_untouched = pristine.get("module") is not None and module_fingerprint(python_file) == pristine["module"]
    notebook_untouched = pristine.get("notebook") is not None and notebook_fingerprint(notebook) == pristine["notebook"]
    if python_untouched and not notebook_untouched:
        return notebook, [f"graded {notebook.name}; {module} is still the untouched skeleton"]
    if notebook_untouched and not python_untouched:
        return python_file, [f"graded {module}; {notebook.name} is still the untouched skeleton"]
    if python_untouched and notebook_untouched:
        return python_file, [f"graded {module}; neither it nor {notebook.name} has been filled in yet"]
    if prefer is not None:
        chosen = {"module": python_file, "notebook": notebook}.get(prefer) or max(
            (python_file, notebook), key=lambda path: path.stat().st_mtime
        )
        other = notebook if chosen == python_file else python_file
        rule = "the newest modified" if prefer == "newest" else f"--prefer {prefer}"
        return chosen, [f"graded {chosen.name}: both it and {other.name} are filled in, and the rule is {rule}"]
    raise AmbiguousSubmission(
        f"both {module} and {notebook.name} in {folder} are filled in; grade one of them by naming it "
        f"(grade {python_file} or grade {notebook}), or remove the other"
    )


def stage_submission(
    source: Path,
    destination: Path,
    *,
    module: str,
    pristine: dict[str, str | None] | None = None,
    prefer: str | None = None,
) -> StagedSubmission:
    """Copy the submission at ``source`` (a folder, a ``.py`` or an ``.ipynb``) into ``destination``."""
    source = Path(source)
    if not source.exists():
        raise MissingSubmissionFile(f"{source} does not exist")
    destination.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if source.is_file():
        if source.is_symlink() and not _inside(source.resolve(), source.parent.resolve()):
            raise UnsafeSubmission(f"{source} is a symbolic link to a file elsewhere; it is refused")
        if source.suffix not in (".py", ".ipynb"):
            raise MissingSubmissionFile(f"{source} is neither a Python file (.py) nor a notebook (.ipynb)")
        if source.stat().st_size > MAX_SUBMISSION_BYTES:
            raise UnsafeSubmission(f"{source.name} is larger than {MAX_SUBMISSION_BYTES // 2**20} MB")
        graded = source
    else:
        for original, relative in _files_to_copy(source):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target)
        graded, notes = choose_file(source, module=module, pristine=pristine, prefer=prefer)
    if graded.suffix == ".ipynb":
        try:
            converted = notebook_to_module(graded)
        except MalformedNotebook as error:
            raise BrokenSubmission(str(error)) from None
        (destination / module).write_text(converted.source, encoding="utf-8")
        notes += [f"graded the notebook {graded.name} (its code cells, in order)"] + converted.notes
    else:
        shutil.copyfile(graded, destination / module)
    for path in destination.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    destination.chmod(0o755)
    digest = hashlib.sha256(graded.read_bytes()).hexdigest()
    return StagedSubmission(directory=destination, module_file=module, source=graded, sha256=digest, notes=tuple(notes))
