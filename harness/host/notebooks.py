"""Jupyter notebooks handed in: read with nbformat and turned back into a module to grade.

Grading keeps code cells in order, and removes IPython magics (``%time``,
``%%capture``) and shell escapes (``!pip install``), noting each removal for the
candidate.  (Notebooks are made from skeletons in :mod:`harness.authoring.notebooks`.)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import BadInput

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 2_000
MAX_CELL_CHARS = 1_000_000
MAX_CODE_CHARS = 5_000_000
MAX_MARKDOWN_PARSE_CHARS = 20_000  # a markdown cell longer than this is not checked for code
CELL_MAGICS_DROPPED_WHOLE = (
    "%%bash",
    "%%sh",
    "%%script",
    "%%system",
    "%%writefile",
    "%%html",
    "%%javascript",
    "%%latex",
    "%%markdown",
    "%%svg",
    "%%perl",
    "%%ruby",
)


class MalformedNotebook(BadInput, ValueError):
    """The notebook cannot be read: not UTF-8, not JSON, or not a valid notebook."""


@dataclass
class ConvertedNotebook:
    source: str
    notes: list[str] = field(default_factory=list)


def read_notebook(path: Path) -> Any:
    """Read and validate a notebook, or raise :class:`MalformedNotebook` saying why."""
    size = Path(path).stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise MalformedNotebook(
            f"{Path(path).name} is {size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_BYTES // 2**20} MB "
            "a notebook may hold; clear its outputs (Kernel > Restart & Clear Output) and save"
        )
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedNotebook(
            f"{Path(path).name} is not UTF-8 text (byte {error.start}); save it again from Jupyter"
        ) from None
    try:
        import nbformat  # imported when a notebook is graded: a plain module never pays for it

        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises JSON, validation and version errors of several types
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MalformedNotebook(f"{Path(path).name} is not a valid Jupyter notebook: {first_line}") from None
    return notebook


def notebook_to_module(path: Path) -> ConvertedNotebook:
    """Concatenate the code cells of a notebook into a module, without magics or shell escapes.

    Whatever the notebook holds, this raises nothing but :class:`MalformedNotebook`: the host never
    lets a candidate's file crash it.
    """
    try:
        return _notebook_to_module(path)
    except MalformedNotebook:
        raise
    except Exception as error:  # MemoryError, RecursionError, anything a hostile file may provoke
        raise MalformedNotebook(
            f"{Path(path).name} could not be read as a notebook ({type(error).__name__}); save it again from Jupyter"
        ) from None


def _notebook_to_module(path: Path) -> ConvertedNotebook:
    notebook = read_notebook(path)
    if len(notebook.cells) > MAX_CELLS:
        raise MalformedNotebook(f"{Path(path).name} has {len(notebook.cells):,} cells, more than {MAX_CELLS:,}")
    oversized = [
        number for number, cell in enumerate(notebook.cells, start=1) if len(cell.get("source", "")) > MAX_CELL_CHARS
    ]
    if oversized:
        raise MalformedNotebook(
            f"cell {oversized[0]} of {Path(path).name} holds more than {MAX_CELL_CHARS:,} characters"
        )
    notes: list[str] = []
    cells: list[tuple[int, str]] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown" and _looks_like_code(cell.source):
            notes.append(
                f"cell {number} is a markdown cell but holds Python code; it was NOT graded. "
                "Turn it back into a code cell."
            )
        if cell.cell_type == "code":
            cells.append((number, cell.source))
    converted = cells_to_module(cells, origin=Path(path).name)
    converted.notes[:0] = notes
    if len(converted.source) > MAX_CODE_CHARS:
        raise MalformedNotebook(f"the code cells of {Path(path).name} hold more than {MAX_CODE_CHARS:,} characters")
    return converted


MODULE_HEADER = """# Made by the grader from {origin}: every code cell runs in order, as Jupyter runs them.
# A cell that fails is recorded and the next ones still run, so what they define still counts;
# tracebacks name the cell and the line in it.
import linecache as __notebook_linecache__

__notebook_cell_errors__ = []


def __run_notebook_cell__(number, source):
    name = f"cell {{number}}"
    __notebook_linecache__.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        exec(compile(source, name, "exec"), globals())
    except BaseException as error:  # a failing cell must not stop the cells after it
        __notebook_cell_errors__.append((number, error))
"""
SCRATCH_MARK = "# scratch"
CHECK_CALLS = ("from grader import", "import grader", "check(", "grader.check(")


def cells_to_module(cells: list[tuple[int, str]], *, origin: str) -> ConvertedNotebook:
    """Turn (cell number, source) pairs into a module that runs each cell in order, failures isolated.

    IPython magics and shell escapes are removed with a note; a cell whose first line is
    ``# scratch`` is skipped (for trying things out).
    """
    notes: list[str] = []
    parts = [MODULE_HEADER.format(origin=origin.replace("\n", " "))]
    for number, source in cells:
        lines = source.splitlines()
        if lines and lines[0].strip().lower() == SCRATCH_MARK:
            notes.append(f"cell {number}: skipped (it starts with {SCRATCH_MARK})")
            continue
        if lines and lines[0].lstrip().startswith("%%"):
            magic = lines[0].split()[0]
            if magic in CELL_MAGICS_DROPPED_WHOLE:
                notes.append(f"cell {number}: removed the whole cell (cell magic {magic} runs no Python)")
                continue
            notes.append(f"cell {number}: removed the cell magic line {lines[0].strip()!r}")
            lines = ["pass  # removed by the grader"] + lines[1:]  # keep line numbers as in the cell
        kept = []
        for line_number, line in enumerate(lines, start=1):
            stripped = line.lstrip()
            if line.startswith(CHECK_CALLS):  # the notebook's own check() cell grades, it is not graded
                kept.append("pass  # check() is not part of the graded code")
            elif stripped.startswith(("%", "!")) or "get_ipython()" in stripped:
                notes.append(
                    f"cell {number}, line {line_number}: removed {stripped[:60]!r} "
                    "(IPython magics and shell commands do not run when grading)"
                )
                kept.append(line[: len(line) - len(stripped)] + "pass  # removed by the grader")
            else:
                kept.append(line)
        parts.append(f"__run_notebook_cell__({number}, {chr(10).join(kept)!r})")
    return ConvertedNotebook(source="\n\n".join(parts) + "\n", notes=notes)


def _looks_like_code(text: str) -> bool:
    """Tell whether a markdown cell's text is Python that defines something (a cell turned to markdown).

    Only short cells are parsed, and any failure of the parser means "no": parsing hostile text must
    not cost the host its memory or its stack.
    """
    if len(text) > MAX_MARKDOWN_PARSE_CHARS or not any(word in text for word in ("def ", "class ", "import ")):
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) for node in tree.body)
