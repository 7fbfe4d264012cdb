"""The cache key of a batch task: what was graded, by which grader and image, with which seed.

A grading run is a pure function of (submission, grader, seed, image), so a
result whose key matches the task's key need not be computed again.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import harness
from harness.host.staging import SKIPPED_NAMES
from harness.project import Exercise

GRADER_SKIPPED_NAMES = SKIPPED_NAMES | {".pytest_cache"}


def _digest_files(root: Path, *, skipped: set[str]) -> str:
    """Hash the relative paths and contents of every regular file under ``root``, in a fixed order."""
    digest = hashlib.sha256()
    root = Path(root)
    if root.is_file():
        digest.update(b"file\0" + root.name.encode() + b"\0")
        digest.update(hashlib.sha256(root.read_bytes()).digest())
        return digest.hexdigest()
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories[:] = sorted(name for name in subdirectories if name not in skipped)
        for name in sorted(files):
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
            if path.is_symlink():  # never read through a link: staging decides whether it is allowed
                digest.update(b"link\0" + relative + b"\0" + os.readlink(path).encode("utf-8", "surrogateescape"))
            elif path.is_file() and not name.endswith((".pyc", ".pyo")):
                digest.update(b"file\0" + relative + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def submission_hash(path: Path) -> str:
    """Hash a submission (a folder or one file) by its files' names and contents."""
    return _digest_files(Path(path), skipped=SKIPPED_NAMES)


@functools.cache
def harness_hash() -> str:
    """Hash the harness's own code: a fix in the engine changes results as surely as one in a grader."""
    return _digest_files(Path(harness.__file__).resolve().parent, skipped=GRADER_SKIPPED_NAMES)


def grader_hash(exercise: Exercise) -> str:
    """Hash every file of the exercise's grader, hidden checks included, with the harness's code."""
    digest = hashlib.sha256(f"harness {harness.__version__} {harness_hash()}\0".encode())
    digest.update(_digest_files(exercise.grader_dir, skipped=GRADER_SKIPPED_NAMES).encode())
    return digest.hexdigest()


def placeholder_hash(reason: str, content: bytes = b"") -> str:
    """Hash a task that cannot be graded (a rejected archive, a missing exercise) by its reason."""
    return hashlib.sha256(reason.encode() + b"\0" + hashlib.sha256(content).digest()).hexdigest()


@dataclass(frozen=True)
class TaskKey:
    """Everything a grading result depends on."""

    submission: str
    grader: str
    image: str
    seed: int
    include_hidden: bool

    @property
    def digest(self) -> str:
        text = "\0".join([self.submission, self.grader, self.image, str(self.seed), str(int(self.include_hidden))])
        return hashlib.sha256(text.encode()).hexdigest()
