"""Mutants: deliberately wrong variants of a reference solution, kept as small edits.

A mutant is ``graders/<slug>/mutants/<name>.toml``::

    description = "The last layer has no softmax, so rows are not probabilities"
    fails = ["test_public.py::test_probabilities"]

    [[replace]]
    old = 'layers.Dense(num_classes, activation="softmax")'
    new = "layers.Dense(num_classes)"

Each ``old`` must occur exactly once in the solution, so a mutant breaks loudly
when the solution changes under it.  ``grade selftest`` grades every mutant and
requires it to lose exactly the points of the checks in ``fails``.

A **variant** (``graders/<slug>/variants/<name>.toml``) has the same form without
``fails``: a *correct* solution written differently (another architecture, other
optimizer settings, eager instead of compiled), which must score full marks on
every seed.  Thresholds are calibrated on the reference and its variants, so they
fit the contract rather than one solution's choices.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput
from harness.project import Exercise


class MalformedMutant(BadInput, ValueError):
    """A mutant file is invalid or no longer applies to the solution."""


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    fails: tuple[str, ...]
    replacements: tuple[tuple[str, str], ...]

    def apply(self, source: str) -> str:
        """Return ``source`` with this mutant's edits made."""
        for old, new in self.replacements:
            count = source.count(old)
            if count != 1:
                raise MalformedMutant(
                    f"mutant {self.name}: {old!r} occurs {count} times in the solution, not exactly once"
                )
            source = source.replace(old, new)
        return source


def load_mutant(path: Path, *, variant: bool = False) -> Mutant:
    """Read a mutant (which names the checks it fails) or a variant (which fails none)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise MalformedMutant(f"{path}: {error}") from None
    try:
        replacements = tuple((str(item["old"]), str(item["new"])) for item in data["replace"])
        fails = tuple(str(check) for check in data.get("fails", ()))
        description = str(data["description"])
    except (KeyError, TypeError) as error:
        raise MalformedMutant(f"{path}: needs description, fails and [[replace]] old/new ({error})") from None
    if not replacements:
        raise MalformedMutant(f"{path}: needs at least one [[replace]]")
    if variant and fails:
        raise MalformedMutant(f"{path}: a variant is a correct solution; it cannot name failing checks")
    if not variant and not fails:
        raise MalformedMutant(f"{path}: a mutant needs at least one failing check")
    return Mutant(Path(path).stem, description, fails, replacements)


def exercise_mutants(exercise: Exercise) -> list[Mutant]:
    return [load_mutant(path) for path in sorted((exercise.grader_dir / "mutants").glob("*.toml"))]


def exercise_variants(exercise: Exercise) -> list[Mutant]:
    return [load_mutant(path, variant=True) for path in sorted((exercise.grader_dir / "variants").glob("*.toml"))]


def solution_file(exercise: Exercise) -> Path:
    return exercise.solution_dir / exercise.module


def materialize(exercise: Exercise, mutant, destination: Path) -> Path:
    """Write the solution changed by ``mutant`` (anything with ``apply(source)``) into ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    source = solution_file(exercise).read_text(encoding="utf-8")
    (destination / exercise.module).write_text(mutant.apply(source), encoding="utf-8")
    return destination
