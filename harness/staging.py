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

MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
MAX_SUBMISSION_FILES = 500
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".git", ".venv", "node_modules"}


class UnsafeSubmission(ValueError):
    """The submission holds something the grader refuses to copy (a link outside it, too much data)."""


class MissingSubmissionFile(ValueError):
    """The submission lacks the file the exercise grades."""


@dataclass(frozen=True)
class StagedSubmission:
    """A submission copied into a private folder, and the module file to import there."""

    directory: Path
    module_file: str
    source: Path
    sha256: str

    def describe(self) -> dict:
        return {"path": str(self.source), "file": self.module_file, "sha256": self.sha256}


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


def stage_submission(source: Path, destination: Path, *, module: str) -> StagedSubmission:
    """Copy the submission at ``source`` (a folder or one ``.py`` file) into ``destination``."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        if source.is_symlink() and not _inside(source.resolve(), source.parent.resolve()):
            raise UnsafeSubmission(f"{source} is a symbolic link to a file elsewhere; it is refused")
        if source.suffix != ".py":
            raise MissingSubmissionFile(f"{source} is not a Python file (.py)")
        shutil.copyfile(source, destination / module)
        module_source = source
    else:
        for original, relative in _files_to_copy(source):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target)
        module_source = source / module
        if not (destination / module).is_file():
            present = sorted(path.name for path in source.glob("*.py"))
            raise MissingSubmissionFile(
                f"{source} has no {module}, the file this exercise grades"
                + (f" (found: {', '.join(present)})" if present else "")
            )
    for path in destination.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    destination.chmod(0o755)
    digest = hashlib.sha256((destination / module).read_bytes()).hexdigest()
    return StagedSubmission(directory=destination, module_file=module, source=module_source, sha256=digest)
