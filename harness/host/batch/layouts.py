"""How a submissions folder is laid out, turned into one folder (or zip) per candidate.

- ``folders`` (the default): one folder or ``.zip`` per candidate, named by their id or name;
- ``canvas``: Canvas's bulk download, flat files named ``<name>[_LATE]_<user id>_<submission id>_<file>``
  (a re-upload gets ``-1``, ``-2`` before the extension);
- ``moodle``: Moodle's "download all submissions", one folder per participant named
  ``<Full Name>_<participant id>_assignsubmission_file_``;
- ``--pattern REGEX``: any other naming, with a named group ``id`` or ``name`` for the candidate and,
  for flat files, a group ``file`` for the file's own name.

Flat files are copied into a private folder per candidate, under their own names; folders and
zips are used where they are.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput

LAYOUTS = ("folders", "canvas", "moodle")
CANVAS = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<id>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
RESUBMISSION = re.compile(r"-\d+(?=\.[^.]+$)")


@dataclass(frozen=True)
class Arranged:
    """One candidate's submission, wherever it came from."""

    identity: str  # what the roster is matched against: an id, or a name
    path: Path  # a folder or a .zip
    source: str  # the name it had in the submissions folder, for messages
    alternatives: tuple[str, ...] = ()  # other ways to match the roster (a name beside an id)
    marked_late: bool = False  # the LMS's own "late" mark


class BadLayout(BadInput, ValueError):
    """The layout or pattern cannot be used."""


def _flat(
    submissions: Path, pattern: re.Pattern, scratch: Path, *, clean_resubmissions: bool
) -> tuple[list[Arranged], list[str]]:
    groups: dict[str, list[tuple[Path, re.Match]]] = {}
    unmatched = []
    for entry in sorted(submissions.iterdir()):
        match = pattern.match(entry.name) if entry.is_file() and not entry.is_symlink() else None
        if match is None:
            unmatched.append(entry.name)
            continue
        key = match.groupdict().get("id") or match.groupdict().get("name") or ""
        groups.setdefault(key, []).append((entry, match))
    arranged: list[Arranged] = []
    for key, files in groups.items():
        folder = scratch / f"candidate-{len(arranged):05d}"
        folder.mkdir(parents=True)
        for entry, match in files:
            name = match.group("file")
            if clean_resubmissions:
                name = RESUBMISSION.sub("", name)
            target = folder / Path(name).name
            if target.exists() and target.stat().st_mtime >= entry.stat().st_mtime:
                continue  # a newer upload of the same file is already there
            shutil.copy2(entry, target)
        first = files[0][1].groupdict()
        names = tuple(value for value in (first.get("name"),) if value and value != key)
        arranged.append(
            Arranged(key, folder, files[0][0].name, names, any(match.groupdict().get("late") for _, match in files))
        )
    return arranged, unmatched


def _per_entry(submissions: Path, pattern: re.Pattern | None) -> tuple[list[Arranged], list[str]]:
    arranged, unmatched = [], []
    for entry in sorted(submissions.iterdir()):
        stem = entry.name[:-4] if entry.suffix.lower() == ".zip" and entry.is_file() else entry.name
        if not (entry.is_dir() or entry.name.lower().endswith(".zip")):
            unmatched.append(entry.name)
            continue
        if pattern is None:
            arranged.append(Arranged(stem, entry, entry.name))
            continue
        match = pattern.match(stem)
        if match is None:
            unmatched.append(entry.name)
            continue
        groups = match.groupdict()
        key = groups.get("id") or groups.get("name") or ""
        names = tuple(value for value in (groups.get("name"),) if value and value != key)
        arranged.append(Arranged(key, entry, entry.name, names))
    return arranged, unmatched


def arrange(
    submissions: Path, *, layout: str = "folders", pattern: str | None = None, scratch: Path
) -> tuple[list[Arranged], list[str]]:
    """One entry per candidate in ``submissions``, and the names that match no candidate."""
    if layout not in LAYOUTS:
        raise BadLayout(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    compiled = None
    if pattern:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise BadLayout(f"--pattern is not a valid regular expression: {error}") from None
        if not {"id", "name"} & set(compiled.groupindex):
            raise BadLayout("--pattern needs a named group (?P<id>...) or (?P<name>...) for the candidate")
        if "file" in compiled.groupindex:
            return _flat(submissions, compiled, scratch, clean_resubmissions=False)
        return _per_entry(submissions, compiled)
    if layout == "canvas":
        return _flat(submissions, CANVAS, scratch, clean_resubmissions=True)
    if layout == "moodle":
        return _per_entry(submissions, MOODLE)
    return _per_entry(submissions, None)
