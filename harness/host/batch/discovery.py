"""Find the candidates in a submissions folder and the exercises each of them handed in.

One entry per candidate: a folder, or a ``.zip`` file unpacked into a private
folder; the candidate's identity is the folder name or the zip's stem.  Inside,
an exercise is a folder named by its slug, or a loose ``<module>.py`` or
``<stem>.ipynb``.  A single wrapping folder (``alice.zip`` holding ``alice/...``)
is looked through.  Loose files are graded from the candidate's folder, as
staging copies it, so their submission hash covers that whole folder.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from harness.host.batch.archives import ArchiveLimits, UnsafeArchive, extract_archive
from harness.host.batch.keys import placeholder_hash, submission_hash
from harness.project import Exercise
from harness.wire.text import clean_name

IGNORED_ENTRIES = {"__MACOSX", ".DS_Store", "Thumbs.db", "__pycache__"}


@dataclass(frozen=True)
class Candidate:
    """One candidate: where their files came from, where they are now, or why they cannot be read."""

    identity: str
    source: Path
    root: Path | None
    problem: str | None = None
    base: Path | None = None  # the folder, or where the zip was unpacked: paths are shown from here


@dataclass(frozen=True)
class Task:
    """Grade one candidate for one exercise, or record why that cannot be done."""

    candidate: str
    exercise: Exercise
    path: Path | None
    display: str
    submission_hash: str
    problem: str | None = None


@dataclass
class Discovery:
    """What a submissions folder holds."""

    candidates: list[Candidate] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def safe_identity(name: str) -> str:
    """A candidate's identity from a file name: the name itself when it is clean text, else the cleaned
    name with a hash of the raw bytes, so that two different names never share an identity."""
    cleaned = clean_name(name, max_chars=120).strip() or "candidate"
    if cleaned == name:
        return name
    raw = name.encode("utf-8", "surrogateescape")
    return f"{cleaned}~{hashlib.sha256(raw).hexdigest()[:8]}"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED_ENTRIES


def _unwrap(root: Path, slugs: set[str]) -> Path:
    """Look through folders that only wrap another folder (``alice/alice/probe``)."""
    for _ in range(3):
        entries = [entry for entry in root.iterdir() if _visible(entry)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink() or entries[0].name in slugs:
            break
        root = entries[0]
    return root


def find_candidates(submissions_dir: Path, *, unpack_dir: Path, slugs: set[str],
                    limits: ArchiveLimits = ArchiveLimits()) -> Discovery:
    """List one candidate per folder or zip file in ``submissions_dir``, unpacking zips into ``unpack_dir``."""
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise ValueError(f"{submissions_dir} is not a folder of submissions")
    found = Discovery()
    by_identity: dict[str, list[Path]] = {}
    for entry in sorted(submissions_dir.iterdir()):
        if not _visible(entry):
            continue
        if entry.suffix.lower() == ".zip" and not entry.is_dir():
            by_identity.setdefault(safe_identity(entry.stem), []).append(entry)
        elif entry.is_dir():
            by_identity.setdefault(safe_identity(entry.name), []).append(entry)
        else:
            found.ignored.append(clean_name(entry.name))
    for number, (identity, entries) in enumerate(sorted(by_identity.items())):
        if len(entries) > 1:
            names = " and ".join(entry.name for entry in entries)
            found.candidates.append(Candidate(identity, entries[0], None,
                                              f"two submissions for {identity} ({names}); keep only one"))
            continue
        entry = entries[0]
        if entry.is_symlink():
            found.candidates.append(Candidate(identity, entry, None,
                                              f"{entry.name} is a symbolic link; submissions must be real files"))
        elif entry.is_dir():
            found.candidates.append(Candidate(identity, entry, _unwrap(entry, slugs), base=entry))
        else:
            target = Path(unpack_dir) / f"{number:05d}"
            try:
                extract_archive(entry, target, limits=limits)
            except UnsafeArchive as problem:
                found.candidates.append(Candidate(identity, entry, None, f"{entry.name} was refused: {problem}"))
                continue
            found.candidates.append(Candidate(identity, entry, _unwrap(target, slugs), base=target))
    return found


def locate_exercise(root: Path, exercise: Exercise) -> Path | None:
    """Return what to grade for ``exercise`` in a candidate's folder: its slug folder, or the folder of loose files."""
    folder = root / exercise.slug
    if folder.is_dir() or folder.is_symlink():
        return folder
    notebook = root / (Path(exercise.module).stem + ".ipynb")
    if (root / exercise.module).is_file() or notebook.is_file():
        return root
    return None


def detect_exercises(candidates: list[Candidate], known: list[Exercise]) -> list[Exercise]:
    """List the exercises that at least one candidate handed in."""
    return [exercise for exercise in known
            if any(c.root is not None and locate_exercise(c.root, exercise) for c in candidates)]


def _display(candidate: Candidate, path: Path) -> str:
    base = candidate.base or candidate.root
    relative = path.relative_to(base).as_posix() if path != base else ""
    if candidate.source.is_dir():
        return clean_name("/".join(part for part in (clean_name(candidate.source.name), relative) if part))
    return clean_name(f"{candidate.source.name}:{relative or '.'}")


def plan_tasks(candidates: list[Candidate], exercises: list[Exercise]) -> list[Task]:
    """Make one task per candidate and exercise, with the submission's hash or the reason it cannot be graded."""
    tasks = []
    for candidate in candidates:
        for exercise in exercises:
            if candidate.root is None:
                problem = candidate.problem or "the submission could not be read"
                tasks.append(Task(candidate.identity, exercise, None, clean_name(candidate.source.name),
                                  placeholder_hash(f"refused: {problem}"), problem))
                continue
            path = locate_exercise(candidate.root, exercise)
            if path is None:
                stem = Path(exercise.module).stem
                problem = (f"no submission for {exercise.slug}: expected a folder {exercise.slug}/, "
                           f"a file {exercise.module} or a notebook {stem}.ipynb")
                tasks.append(Task(candidate.identity, exercise, None, clean_name(candidate.source.name),
                                  placeholder_hash(f"missing: {exercise.slug}"), problem))
            elif path.is_symlink():
                problem = f"{path.name} is a symbolic link; links in submissions are refused"
                tasks.append(Task(candidate.identity, exercise, None, _display(candidate, path),
                                  placeholder_hash(f"refused: {problem}"), problem))
            else:
                tasks.append(Task(candidate.identity, exercise, path, _display(candidate, path),
                                  submission_hash(path)))
    return tasks
