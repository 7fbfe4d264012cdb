"""Which of the candidate's functions each check uses, read from the grader's source without importing it.

``grade PATH --only conv2d_forward`` runs just the checks that call ``conv2d_forward``.  A check
uses a function when its body, a fixture it asks for (in ``conftest.py`` or its own file), or a
helper function it calls, reads ``submission.<name>``, transitively.
"""

from __future__ import annotations

import ast
from pathlib import Path

CHECK_FILES = ("test_public.py", "test_hidden.py")
FIXTURE_FILES = ("conftest.py",)


def _definitions(paths: list[Path]) -> dict[str, ast.FunctionDef]:
    found: dict[str, ast.FunctionDef] = {}
    for path in paths:
        if path.is_file():
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.FunctionDef):
                    found.setdefault(node.name, node)
    return found


def _direct_uses(function: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """(``submission.<name>`` attributes read, names of other functions called or asked for as fixtures)."""
    attributes, names = set(), {argument.arg for argument in function.args.args}
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "submission":
            attributes.add(node.attr)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "with_deadline"
        ):
            attributes.add(node.attr)  # submission.with_deadline(60).train(...)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.add(node.func.id)
    return attributes - {"with_deadline", "call", "export", "start", "spawn", "close"}, names


def functions_used(grader_dir: Path) -> dict[str, frozenset[str]]:
    """For each check (by function name), the candidate's functions it uses."""
    grader_dir = Path(grader_dir)
    definitions = _definitions([grader_dir / name for name in (*FIXTURE_FILES, *CHECK_FILES)])
    direct = {name: _direct_uses(node) for name, node in definitions.items()}
    result = {}
    for name in definitions:
        if not name.startswith("test_"):
            continue
        used: set[str] = set()
        seen, pending = {name}, [name]
        while pending:
            attributes, calls = direct[pending.pop()]
            used |= attributes
            for other in calls & direct.keys() - seen:
                seen.add(other)
                pending.append(other)
        result[name] = frozenset(used)
    return result
