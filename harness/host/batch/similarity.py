"""Flag submissions that are copies: identical files, and near-duplicates found by MOSS's method.

Each submission's code is normalised through its syntax tree, so that what a copier changes
first changes nothing: names the candidate chose, strings, numbers, comments, docstrings and
the order of top-level definitions.  The token stream of the normalised tree is fingerprinted by
winnowing (Schleimer, Wilkerson and Aiken, 2003: the minimum hash of every window of k-grams),
fingerprints of the exercise's skeleton are removed (everyone shares those), and two submissions
of the same exercise are compared by the share of fingerprints they have in common (Jaccard).
Parsing candidate code on the host is bounded: a file too large, or one that does not parse, is
compared by its text instead.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import re
import zlib
from dataclasses import dataclass
from itertools import combinations

K_GRAM = 12
WINDOW = 8
MAX_SOURCE_CHARS = 500_000
DEFAULT_THRESHOLD = 0.8
KEPT_NAMES = set(dir(builtins)) | {"self", "cls"}
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[^\sA-Za-z0-9_]")


class _Normaliser(ast.NodeTransformer):
    """Replace what a copier renames by placeholders, keeping library names (``np.mean``, ``len``)."""

    def __init__(self, imported: set[str]):
        self.kept = KEPT_NAMES | imported

    def _name(self, name: str) -> str:
        return name if name in self.kept else "V"

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self._name(node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.copy_location(ast.arg(arg="V"), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        kind = "S" if isinstance(node.value, (str, bytes)) else "N"
        return ast.copy_location(ast.Constant(value=kind), node)

    def _body(self, node):
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body = body[1:] or [ast.Pass()]  # docstrings say nothing about the code
        node.body = body
        self.generic_visit(node)
        if hasattr(node, "name"):
            node.name = "F"
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _body


def normalised_tokens(source: str) -> list[str]:
    """The tokens of ``source`` with names, constants, comments and definition order normalised away."""
    if len(source) > MAX_SOURCE_CHARS:
        return TOKEN.findall(source[:MAX_SOURCE_CHARS])
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return TOKEN.findall(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {alias.asname or alias.name for alias in node.names}
    try:
        tree = _Normaliser(imported).visit(tree)
        parts = sorted(ast.unparse(node) for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom)))
    except RecursionError:
        return TOKEN.findall(source)
    return TOKEN.findall(" ".join(parts))


def fingerprints(tokens: list[str], *, k: int = K_GRAM, window: int = WINDOW) -> set[int]:
    """Winnow the hashes of the token k-grams: keep the minimum of every window (rightmost on ties)."""
    hashes = [zlib.crc32("\x1f".join(tokens[index : index + k]).encode()) for index in range(len(tokens) - k + 1)]
    if len(hashes) <= window:
        return set(hashes)
    chosen = set()
    for start in range(len(hashes) - window + 1):
        piece = hashes[start : start + window]
        low = min(piece)  # grader values only: crc32 integers
        chosen.add(low)
    return chosen


def similarity(first: set[int], second: set[int]) -> float:
    """The share of fingerprints two submissions have in common (Jaccard: over all they have; 0 if empty)."""
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


@dataclass(frozen=True)
class Flag:
    """Two candidates' submissions of one exercise that look copied."""

    exercise: str
    first: str
    second: str
    similarity: float
    kind: str  # "identical" (same file) or "similar"


def flag_pairs(
    sources: dict[str, str], *, exercise: str, skeleton: str = "", threshold: float = DEFAULT_THRESHOLD
) -> list[Flag]:
    """Compare every pair of ``{candidate: source}`` of one exercise; return the pairs to look at."""
    shared = fingerprints(normalised_tokens(skeleton)) if skeleton else set()
    prints = {candidate: fingerprints(normalised_tokens(source)) - shared for candidate, source in sources.items()}
    digests = {
        candidate: hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        for candidate, source in sources.items()
    }
    flags = []
    for first, second in combinations(sorted(sources), 2):
        if not prints[first] or not prints[second]:
            continue  # nothing of their own beyond the skeleton (an untouched skeleton, an empty file)
        if digests[first] == digests[second]:
            flags.append(Flag(exercise, first, second, 1.0, "identical"))
            continue
        value = similarity(prints[first], prints[second])
        if value >= threshold:
            flags.append(Flag(exercise, first, second, round(value, 3), "similar"))
    return sorted(flags, key=lambda flag: (-flag.similarity, flag.first, flag.second))
