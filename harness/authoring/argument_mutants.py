"""Argument mutants: for every parameter of every contract function, a solution that ignores it.

A realistic wrong answer often ignores an argument: a ``learning_rate`` never
passed to the optimizer, a ``window`` left at gensim's default, a ``seed`` never
used.  For each parameter of each public function and method of the reference
solution, :func:`argument_mutants` makes a mutant that pins the parameter, as the
first statement of the function, to

- its default value, when it has one;
- otherwise the first value the function ever receives for it (so every later
  call sees the public checks' value, whatever it is given).

``grade selftest`` requires each such mutant to lose points: every argument of a
contract must matter to some check.  A parameter that truly cannot be observed
is listed in ``exercise.toml`` with the reason::

    [unobservable_arguments]
    "train.verbose" = "only changes what is printed"
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

PIN_HELPER = '''

_ARGUMENT_MUTANT_PINS = {}


def _argument_mutant_pin(key, value):
    """Keep the first value a parameter receives, and give it back on every later call."""
    return _ARGUMENT_MUTANT_PINS.setdefault(key, value)
'''
SKIPPED_PARAMETERS = ("self", "cls")


@dataclass(frozen=True)
class ArgumentMutant:
    """A solution whose ``function`` ignores its ``parameter``."""

    function: str  # "train", or "Corridor.__init__" for a method
    parameter: str
    default: str | None  # the default's source text, or None for "the first value received"
    line: int  # 1-based line before which the pin is inserted
    indent: str

    @property
    def key(self) -> str:
        """How ``exercise.toml`` names the argument: ``function.parameter``."""
        return f"{self.function}.{self.parameter}"

    @property
    def name(self) -> str:
        return f"ignores {self.function}({self.parameter})"

    @property
    def description(self) -> str:
        pinned = f"its default {self.default}" if self.default is not None else "the first value it receives"
        return f"{self.function} ignores {self.parameter}: it is pinned to {pinned}"

    def apply(self, source: str) -> str:
        """Return ``source`` with the parameter pinned."""
        lines = source.splitlines()
        if self.default is not None:
            pin = f"{self.indent}{self.parameter} = {self.default}  # argument mutant"
        else:
            pin = f"{self.indent}{self.parameter} = _argument_mutant_pin({self.key!r}, {self.parameter})"
        lines.insert(self.line - 1, pin)
        return "\n".join(lines) + "\n" + PIN_HELPER


def _contract_functions(tree: ast.Module):
    """Yield (qualified name, function node) for public functions and public classes' public methods."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    not member.name.startswith("_") or member.name == "__init__"
                ):
                    yield f"{node.name}.{member.name}", member


def _parameters_with_defaults(function: ast.FunctionDef, source: str):
    arguments = function.args
    positional = arguments.posonlyargs + arguments.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    for argument, default in zip(positional, defaults):
        yield argument.arg, default
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        yield argument.arg, default


def argument_mutants(source: str) -> list[ArgumentMutant]:
    """Every argument mutant of a solution's source, in the order the parameters appear."""
    tree = ast.parse(source)
    mutants = []
    for name, function in _contract_functions(tree):
        body = function.body
        first = body[0]
        has_docstring = (
            isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
        )
        anchor = body[1] if has_docstring and len(body) > 1 else (None if has_docstring else first)
        if anchor is None or anchor.lineno == function.lineno:
            continue  # a body of a docstring alone, or on the def line: nothing to pin into
        line = anchor.lineno
        if getattr(anchor, "decorator_list", None):
            line = anchor.decorator_list[0].lineno
        indent = " " * anchor.col_offset
        for parameter, default in _parameters_with_defaults(function, source):
            if parameter in SKIPPED_PARAMETERS:
                continue
            default_text = ast.get_source_segment(source, default) if default is not None else None
            mutants.append(ArgumentMutant(name, parameter, default_text, line, indent))
    return mutants
