"""Make a candidate's skeleton from a reference solution.

A solution marks each region the candidate must write::

    def conv2d_forward(x, w, b, stride, padding):
        \"\"\"Docstring kept in the skeleton.\"\"\"
        # BEGIN SOLUTION: compute the output size, then slide the kernel
        ...reference code...
        # END SOLUTION

The skeleton keeps everything outside the regions (signatures, docstrings,
imports) and replaces each region with a TODO and ``raise NotImplementedError``;
the notebook version is made from the skeleton.

    grade skeleton [SLUG ...]   # regenerate exercises/<slug>/ (.py and .ipynb) from solutions/<slug>/
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import nbformat

from harness.authoring.notebooks import make_notebook
from harness.errors import BadInput
from harness.host.pristine import forget_pristine, record_pristine

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::[ \t]*(?P<hint>.*?))?[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
DEFAULT_HINT = "write this part"


class MalformedSolution(BadInput, ValueError):
    """The solution's markers are unbalanced or misplaced."""


def solution_regions(source: str) -> list[tuple[int, int, str, str]]:
    """Return (first line, last line, indent, hint) of each marked region, 0-based and inclusive."""
    regions = []
    start = None
    for number, line in enumerate(source.splitlines()):
        begin = BEGIN.match(line)
        if begin:
            if start is not None:
                raise MalformedSolution(f"line {number + 1}: BEGIN SOLUTION inside another region")
            start = (number, begin.group("indent"), begin.group("hint") or DEFAULT_HINT)
        elif END.match(line):
            if start is None:
                raise MalformedSolution(f"line {number + 1}: END SOLUTION without BEGIN SOLUTION")
            if not start[1]:
                raise MalformedSolution(f"line {start[0] + 1}: a solution region must be inside a function")
            regions.append((start[0], number, start[1], start[2]))
            start = None
    if start is not None:
        raise MalformedSolution(f"line {start[0] + 1}: BEGIN SOLUTION is never closed")
    return regions


def make_skeleton(source: str) -> str:
    """Replace every solution region of ``source`` with a TODO and ``raise NotImplementedError``."""
    lines = source.splitlines()
    output: list[str] = []
    cursor = 0
    for first, last, indent, hint in solution_regions(source):
        output.extend(lines[cursor:first])
        message = hint[:1].upper() + hint[1:]
        output.append(f"{indent}# TODO: {hint}")
        output.append(f"{indent}raise NotImplementedError({message!r})")
        cursor = last + 1
    output.extend(lines[cursor:])
    return "\n".join(output) + "\n"


def exercise_title(project_root: Path, slug: str) -> str:
    config = project_root / "graders" / slug / "exercise.toml"
    if config.exists():
        return tomllib.loads(config.read_text(encoding="utf-8")).get("title", slug)
    return slug


def render_notebook(skeleton: str, *, title: str, module: str) -> str:
    """Return the skeleton as the text of a Jupyter notebook."""
    return nbformat.writes(make_notebook(skeleton, title=title, module=module)) + "\n"


def generate(project_root: Path, slugs: list[str] | None = None) -> list[Path]:
    """Write the skeleton and notebook of every solution file (or those of ``slugs``); return the files written.

    Also records, in ``exercises/manifest.json``, the fingerprint of each untouched skeleton and
    notebook: grading compares a candidate's files with those to tell which one was filled in.
    """
    written = []
    for solution in sorted((project_root / "solutions").glob("*/*.py")):
        if slugs is not None and solution.parent.name not in slugs:
            continue
        source = solution.read_text(encoding="utf-8")
        if not solution_regions(source):
            continue
        slug = solution.parent.name
        target = project_root / "exercises" / slug / solution.name
        target.parent.mkdir(parents=True, exist_ok=True)
        skeleton = make_skeleton(source)
        target.write_text(skeleton, encoding="utf-8")
        notebook = target.with_suffix(".ipynb")
        notebook.write_text(
            render_notebook(skeleton, title=exercise_title(project_root, slug), module=solution.name), encoding="utf-8"
        )
        record_pristine(project_root / "exercises", slug=slug, module=target, notebook=notebook)
        written += [target, notebook]
    if slugs is None:  # every exercise was generated: the manifest keeps those only
        forget_pristine(project_root / "exercises", keep={path.parent.name for path in written})
    return written


if __name__ == "__main__":
    from harness.project import Project

    for path in generate(Project.current().root, sys.argv[1:] or None):
        print(f"wrote {path}")
    sys.exit(0)
