"""Rules every grader follows, checked on their source: fail-closed arithmetic and no self-reported evidence."""

import ast
from pathlib import Path

import pytest

from harness.project import Project

GRADER_FILES = sorted(Project.current().graders_dir.glob("*/*.py")) + sorted(
    Project.current().graders_dir.glob("*/kit/*.py")
)


REVIEWED_MARK = "# grader values only"  # a min/max over the grader's own numbers, reviewed as such


def _calls(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and REVIEWED_MARK not in lines[node.lineno - 1]:
            yield node


@pytest.mark.parametrize("path", GRADER_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_bare_min_or_max(path):
    """Builtin min/max hide NaN (every comparison with NaN is False): graders use checks.safe_min/safe_max.

    A min/max over the grader's own numbers only may stay, marked with the comment ``# grader values only``.
    """
    bare = [node.lineno for node in _calls(path) if isinstance(node.func, ast.Name) and node.func.id in ("min", "max")]
    assert not bare, f"{path}: bare min()/max() on lines {bare}; use safe_min/safe_max from harness.checks"


@pytest.mark.parametrize("path", GRADER_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_seed_of_the_run_and_no_worker_inspection(path):
    """Check data comes from the secret, and the worker's claims about itself go through verification."""
    text = path.read_text(encoding="utf-8")
    assert ".inspect(" not in text, f"{path}: submission.inspect is gone; verify models with verify_keras_model"
    functions = [node for node in ast.walk(ast.parse(text)) if isinstance(node, ast.FunctionDef)]
    uses_seed = [
        node.name
        for node in functions
        if any(argument.arg == "seed" for argument in node.args.args)
        and (
            node.name.startswith("test_")
            or any(
                isinstance(decorator, (ast.Call, ast.Attribute)) and "fixture" in ast.unparse(decorator)
                for decorator in node.decorator_list
            )
        )
    ]
    assert not uses_seed, (
        f"{path}: {uses_seed} take the run's seed; draw data from `secret`/`rng`/`data_seed` "
        "and give the candidate `worker_seed`"
    )
