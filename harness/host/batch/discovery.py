"""Find the candidates in a submissions folder, the exercises each handed in, and account for every file.

The layout (:mod:`harness.host.batch.layouts`) gives one folder or zip per candidate; a zip is
unpacked into a private folder.  With a roster, each is matched to a roster entry (by id or by
name); one that matches none is *unknown*, reported and not graded, and a roster entry with
nothing handed in is *missing*.  Inside a candidate's folder an exercise is a folder named by its
slug, or a loose ``<module>.py`` or ``<stem>.ipynb``.  A folder or file that only looks like an
exercise (``Policy Gradient/pg_final.py``) is proposed, and graded only with ``accept_fuzzy``.
Every other file is listed with the reason it was not graded.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.host.batch.archives import ArchiveLimits, UnsafeArchive, extract_archive
from harness.host.batch.keys import placeholder_hash, submission_hash
from harness.host.batch.layouts import Arranged
from harness.host.batch.roster import Roster, RosterEntry
from harness.project import Exercise
from harness.wire.text import clean_name

IGNORED_ENTRIES = {"__MACOSX", ".DS_Store", "Thumbs.db", "__pycache__", ".ipynb_checkpoints"}
GRADABLE_SUFFIXES = (".py", ".ipynb")
FUZZY_RATIO = 0.75
MAX_LISTED_FILES = 200

DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class Candidate:
    """One candidate: where their files came from, where they are now, or why they cannot be read."""

    identity: str
    source: Path
    root: Path | None
    problem: str | None = None
    base: Path | None = None  # the folder, or where the zip was unpacked: paths are shown from here
    roster: RosterEntry | None = None
    marked_late: bool = False


@dataclass(frozen=True)
class Task:
    """Grade one candidate for one exercise, or record why that cannot be done."""

    candidate: str
    exercise: Exercise
    path: Path | None
    display: str
    submission_hash: str
    problem: str | None = None
    missing: bool = False  # nothing handed in for this exercise: status "missing", not "zero"
    notes: tuple[str, ...] = ()  # fuzzy matches applied, and the like
    roster: RosterEntry | None = None
    marked_late: bool = False
    fuzzy_source: Path | None = None  # the misnamed file graded, with --accept-fuzzy


@dataclass
class Discovery:
    """What a submissions folder holds."""

    candidates: list[Candidate] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # top-level names that are no candidate
    unknown: list[str] = field(default_factory=list)  # candidates not on the roster: not graded


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


def find_candidates(
    arranged: list[Arranged],
    *,
    unpack_dir: Path,
    slugs: set[str],
    roster: Roster | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> Discovery:
    """One candidate per arranged entry, zips unpacked into ``unpack_dir``, matched to the roster if any."""
    found = Discovery()
    by_identity: dict[str, list[Arranged]] = {}
    for entry in arranged:
        if not _visible(entry.path):
            continue
        matched = None
        if roster is not None:
            matched = next(
                (roster.find(key) for key in (entry.identity, *entry.alternatives) if roster.find(key)), None
            )
            if matched is None:
                found.unknown.append(clean_name(entry.source))
                continue
        identity = matched.id if matched else safe_identity(entry.identity)
        by_identity.setdefault(identity, []).append(entry)
    for number, (identity, entries) in enumerate(sorted(by_identity.items())):
        entry = entries[0]
        matched = roster.find(identity) if roster is not None else None
        if len(entries) > 1:
            names = " and ".join(clean_name(each.source) for each in entries)
            found.candidates.append(
                Candidate(
                    identity,
                    entry.path,
                    None,
                    f"two submissions for {identity} ({names}); keep only one",
                    roster=matched,
                )
            )
            continue
        path = entry.path
        if path.is_symlink():
            found.candidates.append(
                Candidate(
                    identity,
                    path,
                    None,
                    f"{clean_name(path.name)} is a symbolic link; submissions must be real files",
                    roster=matched,
                )
            )
        elif path.is_dir():
            found.candidates.append(
                Candidate(
                    identity, path, _unwrap(path, slugs), base=path, roster=matched, marked_late=entry.marked_late
                )
            )
        else:
            target = Path(unpack_dir) / f"{number:05d}"
            try:
                extract_archive(path, target, limits=limits)
            except UnsafeArchive as problem:
                found.candidates.append(
                    Candidate(identity, path, None, f"{clean_name(path.name)} was refused: {problem}", roster=matched)
                )
                continue
            found.candidates.append(
                Candidate(
                    identity, path, _unwrap(target, slugs), base=target, roster=matched, marked_late=entry.marked_late
                )
            )
    return found


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", Path(name).stem.lower()).strip("_")


def _initials(slug: str) -> str:
    return "".join(part[0] for part in slug.split("_") if part)


def looks_like(name: str, exercise: Exercise) -> bool:
    """A folder or file name that is probably the exercise, misnamed (``Policy Gradient``, ``pg_final.py``)."""
    normal, slug = _normal(name), exercise.slug
    words = normal.split("_")
    return (
        normal == slug
        or difflib.SequenceMatcher(None, normal, slug).ratio() >= FUZZY_RATIO
        or set(slug.split("_")) <= set(words)  # probe_final, my_policy_gradient
        or (len(_initials(slug)) > 1 and words[0] == _initials(slug))
    )  # pg_final


def locate_exercise(root: Path, exercise: Exercise) -> Path | None:
    """Return what to grade for ``exercise`` in a candidate's folder: its slug folder, or the folder of loose files."""
    folder = root / exercise.slug
    if folder.is_dir() or folder.is_symlink():
        return folder
    notebook = root / (Path(exercise.module).stem + ".ipynb")
    if (root / exercise.module).is_file() or notebook.is_file():
        return root
    return None


def propose_fuzzy(root: Path, exercise: Exercise) -> Path | None:
    """The one file that probably is this exercise, misnamed, in a folder that may be misnamed too."""
    folders = [root] + [
        entry
        for entry in sorted(root.iterdir())
        if entry.is_dir() and not entry.is_symlink() and _visible(entry) and looks_like(entry.name, exercise)
    ]
    for folder in folders:
        files = [entry for entry in sorted(folder.iterdir()) if entry.is_file() and entry.suffix in GRADABLE_SUFFIXES]
        named = [entry for entry in files if looks_like(entry.name, exercise)]
        if len(named) == 1:
            return named[0]
        if folder is not root and len(files) == 1:
            return files[0]
    return None


def detect_exercises(candidates: list[Candidate], known: list[Exercise]) -> list[Exercise]:
    """List the exercises that at least one candidate handed in."""
    return [
        exercise
        for exercise in known
        if any(c.root is not None and locate_exercise(c.root, exercise) for c in candidates)
    ]


def _display(candidate: Candidate, path: Path) -> str:
    base = candidate.base or candidate.root or path
    relative = path.relative_to(base).as_posix() if path != base else ""
    if candidate.source.is_dir():
        return clean_name("/".join(part for part in (candidate.source.name, relative) if part))
    return clean_name(f"{candidate.source.name}:{relative or '.'}")


def plan_tasks(
    candidates: list[Candidate],
    exercises: list[Exercise],
    *,
    roster: Roster | None = None,
    accept_fuzzy: bool = False,
    fuzzy_dir: Path | None = None,
) -> list[Task]:
    """One task per candidate (and per roster entry with nothing handed in) and exercise."""
    tasks = []
    for candidate in candidates:
        for exercise in exercises:
            tasks.append(_task(candidate, exercise, accept_fuzzy=accept_fuzzy, fuzzy_dir=fuzzy_dir))
    if roster is not None:
        present = {candidate.identity for candidate in candidates}
        for entry in roster.entries:
            if entry.id not in present:
                for exercise in exercises:
                    tasks.append(
                        Task(
                            entry.id,
                            exercise,
                            None,
                            "",
                            placeholder_hash(f"missing: {exercise.slug}"),
                            f"{entry.id} handed in nothing",
                            missing=True,
                            roster=entry,
                        )
                    )
    return tasks


def _task(candidate: Candidate, exercise: Exercise, *, accept_fuzzy: bool, fuzzy_dir: Path | None) -> Task:
    common: dict[str, Any] = {"roster": candidate.roster, "marked_late": candidate.marked_late}
    if candidate.root is None:
        problem = candidate.problem or "the submission could not be read"
        return Task(
            candidate.identity,
            exercise,
            None,
            clean_name(candidate.source.name),
            placeholder_hash(f"refused: {problem}"),
            problem,
            **common,
        )
    path = locate_exercise(candidate.root, exercise)
    if path is None:
        proposal = propose_fuzzy(candidate.root, exercise)
        stem = Path(exercise.module).stem
        if proposal is not None and accept_fuzzy and fuzzy_dir is not None:
            staged = fuzzy_dir / f"{safe_identity(candidate.identity)}-{exercise.slug}"
            staged.mkdir(parents=True, exist_ok=True)
            target = staged / (exercise.module if proposal.suffix == ".py" else f"{stem}.ipynb")
            target.write_bytes(proposal.read_bytes())
            note = f"graded {_display(candidate, proposal)} as {exercise.slug} (a fuzzy match, --accept-fuzzy)"
            return Task(
                candidate.identity,
                exercise,
                staged,
                _display(candidate, proposal),
                submission_hash(staged),
                notes=(note,),
                fuzzy_source=proposal,
                **common,
            )
        problem = (
            f"no submission for {exercise.slug}: expected a folder {exercise.slug}/, a file {exercise.module} "
            f"or a notebook {stem}.ipynb"
        )
        if proposal is not None:
            problem += f". {_display(candidate, proposal)} looks like it; grade it with --accept-fuzzy, or rename it"
        return Task(
            candidate.identity,
            exercise,
            None,
            clean_name(candidate.source.name),
            placeholder_hash(f"missing: {exercise.slug}"),
            problem,
            missing=True,
            notes=(problem,) if proposal is not None else (),
            **common,
        )
    if path.is_symlink():
        problem = f"{clean_name(path.name)} is a symbolic link; links in submissions are refused"
        return Task(
            candidate.identity,
            exercise,
            None,
            _display(candidate, path),
            placeholder_hash(f"refused: {problem}"),
            problem,
            **common,
        )
    return Task(candidate.identity, exercise, path, _display(candidate, path), submission_hash(path), **common)


def unaccounted_files(candidate: Candidate, tasks: list[Task], exercises: list[Exercise]) -> list[str]:
    """The candidate's files that no task grades, each with the reason it was left out."""
    if candidate.root is None:
        return []
    used: set[Path] = set()
    for task in tasks:
        if task.path is None or task.candidate != candidate.identity:
            continue
        if task.fuzzy_source is not None:
            used.add(task.fuzzy_source)
            continue
        if task.path == candidate.root:  # loose files: only the exercise's own module and notebook
            exercise = task.exercise
            used |= {task.path / exercise.module, task.path / f"{Path(exercise.module).stem}.ipynb"}
        elif task.path.is_relative_to(candidate.root):
            used |= set(task.path.rglob("*")) | {task.path}
    modules = {exercise.module for exercise in exercises} | {f"{Path(e.module).stem}.ipynb" for e in exercises}
    listed = []
    for path in sorted(candidate.root.rglob("*")):
        if not path.is_file() or any(
            part in IGNORED_ENTRIES or part.startswith(".") for part in path.relative_to(candidate.root).parts
        ):
            continue
        if path in used or any(parent in used for parent in path.parents):
            continue
        if path.suffix in GRADABLE_SUFFIXES:
            fuzzy = [
                exercise.slug
                for exercise in exercises
                if looks_like(path.name, exercise) or looks_like(path.parent.name, exercise)
            ]
            reason = (
                f"looks like {fuzzy[0]} but was not graded (--accept-fuzzy grades it)"
                if fuzzy and path.name not in modules
                else "not the file of any exercise graded"
            )
        else:
            reason = "not a Python file or notebook"
        listed.append(f"{_display(candidate, path)}: {reason}")
        if len(listed) >= MAX_LISTED_FILES:
            listed.append("... (more files not listed)")
            break
    return listed
