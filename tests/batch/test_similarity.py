"""Near-duplicate detection, measured on a planted cohort of the conv_layer exercise.

A copy of the reference that renames every name, rewrites comments and strings and reorders its
functions must be flagged; the reference and a solution written independently must not be; nor
two untouched skeletons (the skeleton's own code is left out of every comparison).
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from harness.host.batch.similarity import DEFAULT_THRESHOLD, fingerprints, flag_pairs, normalised_tokens, similarity
from harness.project import get_exercise

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (ROOT / "solutions" / "conv_layer" / "conv_layer.py").read_text()
SKELETON = (ROOT / "exercises" / "conv_layer" / "conv_layer.py").read_text()
INDEPENDENT = (Path(__file__).parent / "similar" / "independent_conv_layer.py").read_text()


class _Renamer(ast.NodeTransformer):
    """What a copier does first: new names for every variable and argument, new strings."""

    def __init__(self):
        self.names = {}

    def _new(self, name):
        return self.names.setdefault(name, f"my_{len(self.names)}_{name[::-1]}")

    def visit_Name(self, node):
        if node.id in {"np", "range", "len", "max", "min", "ValueError", "int", "float", "zip", "tuple"}:
            return node
        return ast.copy_location(ast.Name(self._new(node.id), node.ctx), node)

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value not in ("SAME", "VALID"):
            return ast.copy_location(ast.Constant("rewritten by the copier"), node)
        return node


def renamed_copy(source: str) -> str:
    tree = ast.parse(source)
    tree = _Renamer().visit(tree)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    rest = [node for node in tree.body if node not in imports]
    tree.body = imports + list(reversed(rest))  # the order of the definitions changed too
    return "# my own solution\n" + ast.unparse(ast.fix_missing_locations(tree))


def test_a_renamed_and_reordered_copy_is_flagged_and_independent_solutions_are_not():
    copy = renamed_copy(REFERENCE)
    assert copy != REFERENCE and "def conv2d_forward" not in copy.split("\n")[1]
    sources = {
        "reference": REFERENCE,
        "copier": copy,
        "independent": INDEPENDENT,
        "skeleton_1": SKELETON,
        "skeleton_2": SKELETON,
    }
    flags = flag_pairs(sources, exercise="conv_layer", skeleton=SKELETON)
    assert [(flag.first, flag.second, flag.kind) for flag in flags] == [("copier", "reference", "similar")]
    assert flags[0].similarity >= DEFAULT_THRESHOLD


def test_the_measured_similarities_leave_a_margin_on_both_sides_of_the_threshold():
    shared = fingerprints(normalised_tokens(SKELETON))
    prints = {
        name: fingerprints(normalised_tokens(text)) - shared
        for name, text in (("reference", REFERENCE), ("copier", renamed_copy(REFERENCE)), ("independent", INDEPENDENT))
    }
    values = {
        (first, second): similarity(prints[first], prints[second])
        for first, second in itertools.combinations(sorted(prints), 2)
    }
    assert values[("copier", "reference")] >= 0.95
    assert values[("independent", "reference")] <= DEFAULT_THRESHOLD / 2
    assert values[("copier", "independent")] <= DEFAULT_THRESHOLD / 2


def test_code_that_does_not_parse_is_compared_by_its_text():
    broken = REFERENCE + "\ndef unfinished(:\n"
    flags = flag_pairs({"a": broken, "b": broken.replace("\n\n", "\n\n\n")}, exercise="conv_layer")
    assert [(flag.first, flag.second) for flag in flags] == [("a", "b")]


@pytest.mark.integration
def test_the_independent_solution_is_a_correct_one(tmp_path):
    from harness.host.grading import grade_submission

    (tmp_path / "conv_layer.py").write_text(INDEPENDENT)
    result = grade_submission(
        path=tmp_path / "conv_layer.py", exercise=get_exercise("conv_layer").slug, backend="local", include_hidden=True
    )
    assert result.score == result.max_score, [
        (check.name, check.output) for check in result.checks if check.score < check.max_score
    ]
