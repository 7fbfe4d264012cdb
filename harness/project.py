"""The project on disk: where exercises, solutions and graders live, and one parsed ``exercise.toml`` each.

Everything that needs a path asks a :class:`Project` (in the manner of nbgrader's
``CourseDirectory``); nothing else computes the project root.  The project also
owns the **file policy**: which files of a grader are public, hidden, private or
authoring-only.  The candidate kit and the docker staging both follow it, so the
two cannot disagree about what may leave the project.

The list of checks of an exercise (its manifest) is read from the grader's
source with :mod:`ast`, without importing it: the host uses it to know which
checks a result must contain, and ``grade list`` uses it to count points fast.

This module is shared by the host and the grader process; it imports nothing
from either.
"""

from __future__ import annotations

import ast
import difflib
import enum
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from harness.errors import BadInput

HARNESS_DIR = Path(__file__).resolve().parent
HARNESS_PARENT = HARNESS_DIR.parent  # the folder that goes on PYTHONPATH for ``import harness``
PROJECT_ROOT_VARIABLE = "GRADE_PROJECT_ROOT"
GRADERS_ENVIRONMENT_VARIABLE = "GRADE_GRADERS_DIR"
PUBLIC_CHECKS_FILE = "test_public.py"
HIDDEN_CHECKS_FILE = "test_hidden.py"
EXERCISE_FILE = "exercise.toml"
KIT_REPLACEMENTS_DIR = "kit"  # graders/<slug>/kit/X replaces a private graders/<slug>/X in the kit
SHARED_DIR = "_shared"  # graders/_shared/: helpers several graders import (``from _shared import x``)
AUTHORING_ONLY_NAMES = frozenset(
    {"mutants", "variants", "CALIBRATION.md", KIT_REPLACEMENTS_DIR, "__pycache__", ".ipynb_checkpoints"}
)
AUTHORING_ONLY_PREFIXES = ("solution", "mutant", "variant")


class UnknownExercise(BadInput, ValueError):
    """No grader exists for the exercise asked for."""


class FileRole(enum.Enum):
    """Where a file of a grader may go."""

    PUBLIC = "public"  # the kit and every grading run
    HIDDEN = "hidden"  # grading runs with hidden checks only; never the kit
    PRIVATE = "private"  # every grading run; the kit gets graders/<slug>/kit/<name> instead
    AUTHORING = "authoring"  # never leaves the project: mutants, variants, calibration, kit replacements


@dataclass(frozen=True)
class WorkerLimits:
    """The limits every worker runs under.

    Deadlines are in CPU seconds of the submission process (and the processes it
    starts), not in wall-clock seconds: a busy machine slows a call down without
    charging the candidate.  A wall-clock backstop, ``wall_factor`` times the
    deadline plus ``wall_slack_seconds``, stops a call that sleeps or is starved.
    """

    memory_mb: int = 2048
    call_deadline_seconds: float = 30.0
    import_deadline_seconds: float = 60.0
    message_cap_bytes: int = 64 * 1024 * 1024
    output_keep_bytes: int = 4096
    wall_factor: float = 4.0
    wall_slack_seconds: float = 30.0

    def __post_init__(self):
        if self.memory_mb < 64:
            raise ValueError(f"memory_mb must be at least 64, got {self.memory_mb}")
        if self.call_deadline_seconds <= 0 or self.import_deadline_seconds <= 0:
            raise ValueError("deadlines must be positive")
        if self.wall_factor < 1 or self.wall_slack_seconds < 0:
            raise ValueError("wall_factor must be at least 1 and wall_slack_seconds not negative")

    def wall_backstop(self, cpu_seconds: float) -> float:
        """Return the wall-clock seconds after which a call with ``cpu_seconds`` of CPU budget is stopped."""
        return cpu_seconds * self.wall_factor + self.wall_slack_seconds


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared in the grader's source."""

    check_id: str
    name: str
    points: float
    hidden: bool
    function: str = ""
    statistical: bool = False


@dataclass(frozen=True)
class Exercise:
    """One exercise: where its files live, the limits it runs under, and its file policy."""

    slug: str
    title: str
    module: str
    grader_dir: Path
    project_root: Path
    seed_questions: tuple[int, ...]
    time_budget_seconds: float
    limits: WorkerLimits
    private_files: frozenset[str] = frozenset()
    preload: tuple[str, ...] = ()
    unobservable_arguments: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    extras: tuple[str, ...] = ()
    kit_hidden_points: float = 0.0  # in a candidate kit, which has no test_hidden.py: what the hidden checks are worth
    kit_hidden_checks: int = 0

    @cached_property
    def checks(self) -> tuple[CheckSpec, ...]:
        found = []
        for file_name, hidden in ((PUBLIC_CHECKS_FILE, False), (HIDDEN_CHECKS_FILE, True)):
            path = self.grader_dir / file_name
            if path.exists():
                found.extend(read_checks(path, hidden=hidden))
        return tuple(found)

    def checks_for(self, *, include_hidden: bool) -> tuple[CheckSpec, ...]:
        return tuple(check for check in self.checks if include_hidden or not check.hidden)

    def max_score(self, *, include_hidden: bool) -> float:
        return sum(check.points for check in self.checks_for(include_hidden=include_hidden))

    @property
    def solution_dir(self) -> Path:
        return self.project_root / "solutions" / self.slug

    @property
    def skeleton_dir(self) -> Path:
        return self.project_root / "exercises" / self.slug

    @property
    def has_hidden_checks(self) -> bool:
        return (self.grader_dir / HIDDEN_CHECKS_FILE).exists()

    @property
    def public_points(self) -> float:
        return self.max_score(include_hidden=False)

    @property
    def hidden_points(self) -> float:
        """What the hidden checks are worth: from test_hidden.py, or as the kit's exercise.toml records it."""
        return (
            self.max_score(include_hidden=True) - self.public_points
            if self.has_hidden_checks
            else self.kit_hidden_points
        )

    @property
    def hidden_check_count(self) -> int:
        return sum(check.hidden for check in self.checks) if self.has_hidden_checks else self.kit_hidden_checks

    @property
    def hidden_check_count_without_file(self) -> int:
        """Hidden checks that are not in ``checks`` because their file is not here (a kit)."""
        return 0 if self.has_hidden_checks else self.kit_hidden_checks

    # -- the file policy -----------------------------------------------------

    def file_role(self, relative: Path | str) -> FileRole:
        """Return the role of a grader file, given by its path relative to the grader folder."""
        parts = Path(relative).parts
        if not parts:
            raise ValueError("a grader file needs a name")
        for part in parts:
            if part in AUTHORING_ONLY_NAMES or part.startswith(".") or part.lower().startswith(AUTHORING_ONLY_PREFIXES):
                return FileRole.AUTHORING
        if len(parts) == 1 and parts[0] == HIDDEN_CHECKS_FILE:
            return FileRole.HIDDEN
        if Path(*parts).as_posix() in self.private_files:
            return FileRole.PRIVATE
        return FileRole.PUBLIC

    def grader_files(self, *, include_hidden: bool, for_kit: bool = False) -> list[tuple[Path, Path]]:
        """List (file, path relative to the grader) that a grading run, or the kit, receives.

        A run receives public and private files, and hidden ones with ``include_hidden``.
        The kit receives public files, and the kit replacement of each private file.  Both receive
        ``graders/_shared/`` as ``_shared/``.
        """
        chosen: list[tuple[Path, Path]] = []
        shared = self.grader_dir.parent / SHARED_DIR
        if shared.is_dir():
            for path in sorted(shared.rglob("*")):
                relative = path.relative_to(shared)
                if path.is_file() and not path.is_symlink() and self.file_role(relative) is FileRole.PUBLIC:
                    chosen.append((path, Path(SHARED_DIR) / relative))
        for path in sorted(self.grader_dir.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            relative = path.relative_to(self.grader_dir)
            role = self.file_role(relative)
            if role is FileRole.PUBLIC or (role is FileRole.HIDDEN and include_hidden and not for_kit):
                chosen.append((path, relative))
            elif role is FileRole.PRIVATE:
                source = self.grader_dir / KIT_REPLACEMENTS_DIR / relative if for_kit else path
                if for_kit and not source.is_file():
                    raise UnknownExercise(f"{self.slug}: private file {relative} has no kit replacement {source}")
                chosen.append((source, relative))
        return chosen


def _tuple_of_strings(config: dict, key: str) -> tuple[str, ...]:
    value = config.get(key, ())
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key} must be a list of strings")
    return tuple(value)


def load_exercise(grader_dir: Path, *, project_root: Path | None = None) -> Exercise:
    """Read one exercise's ``exercise.toml``."""
    grader_dir = Path(grader_dir)
    config_path = grader_dir / EXERCISE_FILE
    try:
        config: dict[str, Any] = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnknownExercise(f"{grader_dir} has no {EXERCISE_FILE}") from None
    except tomllib.TOMLDecodeError as error:
        raise UnknownExercise(f"{config_path} is not valid TOML: {error}") from None
    limits = WorkerLimits(
        memory_mb=int(config.get("memory_limit_mb", 2048)),
        call_deadline_seconds=float(config.get("call_deadline_seconds", 30)),
        import_deadline_seconds=float(config.get("import_deadline_seconds", 60)),
        wall_factor=float(config.get("wall_factor", WorkerLimits.wall_factor)),
        wall_slack_seconds=float(config.get("wall_slack_seconds", WorkerLimits.wall_slack_seconds)),
    )
    unobservable = config.get("unobservable_arguments", {})
    if not isinstance(unobservable, dict) or not all(isinstance(value, str) for value in unobservable.values()):
        raise UnknownExercise(f"{config_path}: unobservable_arguments must map 'function.argument' to a reason")
    return Exercise(
        slug=config["slug"],
        title=config["title"],
        module=config["module"],
        grader_dir=grader_dir,
        project_root=Path(project_root) if project_root is not None else grader_dir.parent.parent,
        seed_questions=tuple(config.get("seed_questions", ())),
        time_budget_seconds=float(config.get("time_budget_seconds", 120)),
        limits=limits,
        private_files=frozenset(_tuple_of_strings(config, "private_files")),
        preload=_tuple_of_strings(config, "preload"),
        unobservable_arguments=dict(unobservable),
        extras=_tuple_of_strings(config, "extras"),
        kit_hidden_points=float(config.get("kit_hidden_points", 0.0)),
        kit_hidden_checks=int(config.get("kit_hidden_checks", 0)),
    )


@dataclass(frozen=True)
class Project:
    """A project (or a candidate kit): ``graders/``, ``solutions/`` and ``exercises/`` under one root."""

    root: Path
    graders_dir: Path

    @classmethod
    def current(cls) -> Project:
        """The project this harness belongs to, unless ``GRADE_PROJECT_ROOT`` or ``GRADE_GRADERS_DIR`` say otherwise."""
        graders = os.environ.get(GRADERS_ENVIRONMENT_VARIABLE)
        if graders:  # a folder of graders elsewhere (the test suite's probe exercise): its parent is the root
            return cls(root=Path(graders).parent, graders_dir=Path(graders))
        root = Path(os.environ.get(PROJECT_ROOT_VARIABLE) or HARNESS_PARENT)
        return cls(root=root, graders_dir=root / "graders")

    def exercises(self) -> list[Exercise]:
        if not self.graders_dir.is_dir():
            return []
        return [
            load_exercise(path, project_root=self.root)
            for path in sorted(self.graders_dir.iterdir())
            if (path / EXERCISE_FILE).exists()
        ]

    def exercise(self, slug: str) -> Exercise:
        path = self.graders_dir / slug
        if "/" in slug or slug.startswith(".") or not (path / EXERCISE_FILE).exists():
            slugs = [exercise.slug for exercise in self.exercises()]
            close = difflib.get_close_matches(slug, slugs, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownExercise(f"there is no exercise called {slug!r}{hint} (known: {', '.join(slugs) or 'none'})")
        return load_exercise(path, project_root=self.root)

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def image_dir(self) -> Path:
        return self.root / "image"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"


def all_exercises() -> list[Exercise]:
    return Project.current().exercises()


def get_exercise(slug: str) -> Exercise:
    return Project.current().exercise(slug)


def read_checks(path: Path, *, hidden: bool) -> list[CheckSpec]:
    """List the checks in a grader file: test functions with a ``points`` marker."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    checks = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        points = _points_of(node)
        if points is None:
            raise ValueError(f"{path}:{node.lineno}: check {node.name} has no @pytest.mark.points(n)")
        doc = ast.get_docstring(node) or ""
        name = (
            doc.strip().splitlines()[0].strip()
            if doc.strip()
            else (node.name.removeprefix("test_").replace("_", " ").capitalize())
        )
        checks.append(
            CheckSpec(
                f"{path.name}::{node.name}",
                name,
                points,
                hidden,
                node.name,
                statistical=_has_marker(node, "statistical"),
            )
        )
    return checks


def _marker_calls(node: ast.FunctionDef):
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute):
            yield target.attr, decorator


def _has_marker(node: ast.FunctionDef, name: str) -> bool:
    return any(marker == name for marker, _ in _marker_calls(node))


def _points_of(node: ast.FunctionDef) -> float | None:
    for marker, decorator in _marker_calls(node):
        if (
            marker == "points"
            and isinstance(decorator, ast.Call)
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
        ):
            value = decorator.args[0].value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
    return None
