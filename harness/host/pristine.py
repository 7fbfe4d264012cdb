"""Fingerprints of the untouched skeletons and notebooks, kept in ``exercises/manifest.json``.

A candidate may fill in the ``.py`` skeleton or its notebook.  To grade the one they filled in,
grading compares each with the fingerprint recorded when the skeleton was generated, not with a
file on disk: in a candidate's kit the files on disk *are* the candidate's own.

A module's fingerprint is the SHA-256 of its bytes; a notebook's is the SHA-256 of its code
cells' sources, so that running it (outputs, execution counts, metadata) does not count as
filling it in.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST = "manifest.json"


def module_fingerprint(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def notebook_fingerprint(path: Path) -> str | None:
    """The fingerprint of a notebook's code, or None when it cannot be read as a notebook."""
    try:
        import nbformat  # only for notebooks: a plain `grade` of a module never pays for it

        notebook = nbformat.reads(Path(path).read_text(encoding="utf-8"), as_version=4)
    except Exception:  # a damaged notebook is simply not the untouched one
        return None
    digest = hashlib.sha256()
    for cell in notebook.cells:
        if cell.get("cell_type") == "code":
            digest.update(str(cell.get("source", "")).encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def record_pristine(exercises_dir: Path, *, slug: str, module: Path, notebook: Path) -> Path:
    """Record the fingerprints of an exercise's freshly generated skeleton and notebook."""
    path = Path(exercises_dir) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    manifest[slug] = {"module": module_fingerprint(module), "notebook": notebook_fingerprint(notebook)}
    path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n", encoding="utf-8")
    return path


def forget_pristine(exercises_dir: Path, *, keep: set[str]) -> None:
    """Drop the recorded fingerprints of exercises other than ``keep`` (removed or renamed ones)."""
    path = Path(exercises_dir) / MANIFEST
    if path.exists():
        manifest = json.loads(path.read_text(encoding="utf-8"))
        kept = {slug: entry for slug, entry in sorted(manifest.items()) if slug in keep}
        path.write_text(json.dumps(kept, indent=2) + "\n", encoding="utf-8")


def pristine_fingerprints(exercises_dir: Path, slug: str) -> dict[str, str | None]:
    """The recorded fingerprints of ``slug``'s untouched files (empty when none were recorded)."""
    path = Path(exercises_dir) / MANIFEST
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get(slug, {}))
    except (OSError, ValueError, AttributeError):
        return {}
