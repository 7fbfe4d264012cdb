"""The exercises this project grades, read from ``graders/<slug>/exercise.toml``.

The list of checks of an exercise (its manifest) is read from the grader's
source with :mod:`ast`, without importing it: the host uses it to know which
checks a result must contain, and ``grade list`` uses it to count points fast.
"""

from __future__ import annotations

import ast
import os
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from harness.supervisor import WorkerLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GRADERS_ENVIRONMENT_VARIABLE = "GRADE_GRADERS_DIR"
PUBLIC_CHECKS_FILE = "test_public.py"
HIDDEN_CHECKS_FILE = "test_hidden.py"


class UnknownExercise(ValueError):
    """No grader exists for the exercise asked for."""


@dataclass(frozen=True)
class CheckSpec:
    """A check as declared in the grader's source."""

    check_id: str
    name: str
    points: float
    hidden: bool


@dataclass(frozen=True)
class Exercise:
    """One exercise: where its grader lives and the limits it runs under."""

    slug: str
    title: str
    module: str
    grader_dir: Path
    seed_questions: tuple[int, ...]
    time_budget_seconds: float
    limits: WorkerLimits

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
    def project_root(self) -> Path:
        """The project this exercise belongs to: the folder holding graders/, solutions/ and exercises/."""
        return self.grader_dir.parent.parent

    @property
    def solution_dir(self) -> Path:
        return self.project_root / "solutions" / self.slug

    @property
    def skeleton_dir(self) -> Path:
        return self.project_root / "exercises" / self.slug

    @property
    def has_hidden_checks(self) -> bool:
        return (self.grader_dir / HIDDEN_CHECKS_FILE).exists()


def graders_root() -> Path:
    return Path(os.environ.get(GRADERS_ENVIRONMENT_VARIABLE, PROJECT_ROOT / "graders"))


def load_exercise(grader_dir: Path) -> Exercise:
    """Read one exercise's ``exercise.toml``."""
    config_path = Path(grader_dir) / "exercise.toml"
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnknownExercise(f"{grader_dir} has no exercise.toml") from None
    limits = WorkerLimits(
        memory_mb=int(config.get("memory_limit_mb", 2048)),
        call_deadline_seconds=float(config.get("call_deadline_seconds", 30)),
        import_deadline_seconds=float(config.get("import_deadline_seconds", 60)),
    )
    return Exercise(
        slug=config["slug"],
        title=config["title"],
        module=config["module"],
        grader_dir=Path(grader_dir),
        seed_questions=tuple(config.get("seed_questions", ())),
        time_budget_seconds=float(config.get("time_budget_seconds", 120)),
        limits=limits,
    )


def all_exercises() -> list[Exercise]:
    root = graders_root()
    if not root.is_dir():
        return []
    return [load_exercise(path) for path in sorted(root.iterdir()) if (path / "exercise.toml").exists()]


def get_exercise(slug: str) -> Exercise:
    path = graders_root() / slug
    if not (path / "exercise.toml").exists():
        known = ", ".join(exercise.slug for exercise in all_exercises()) or "none"
        raise UnknownExercise(f"there is no exercise called {slug!r} (known: {known})")
    return load_exercise(path)


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
        name = doc.strip().splitlines()[0].strip() if doc.strip() else (
            node.name.removeprefix("test_").replace("_", " ").capitalize()
        )
        checks.append(CheckSpec(f"{path.name}::{node.name}", name, points, hidden))
    return checks


def _points_of(node: ast.FunctionDef) -> float | None:
    for decorator in node.decorator_list:
        if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "points" and decorator.args
                and isinstance(decorator.args[0], ast.Constant)):
            return float(decorator.args[0].value)
    return None
