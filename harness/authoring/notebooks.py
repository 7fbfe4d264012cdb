"""Make a candidate's notebook from a skeleton module: imports first, then one cell per function or class."""

from __future__ import annotations

import ast

import nbformat


def make_notebook(module_source: str, *, title: str, module: str) -> nbformat.NotebookNode:
    """Build a notebook whose code cells, run top to bottom, define the same module."""
    tree = ast.parse(module_source)
    lines = module_source.splitlines()
    chunks: list[list[str]] = []
    previous_kind = None
    for index, node in enumerate(tree.body):
        decorators = getattr(node, "decorator_list", None)
        start = (decorators[0].lineno if decorators else node.lineno) - 1
        end = tree.body[index + 1].lineno - 1 if index + 1 < len(tree.body) else len(lines)
        following = getattr(tree.body[index + 1], "decorator_list", None) if index + 1 < len(tree.body) else None
        if following:
            end = following[0].lineno - 1
        if index == 0:
            start = 0
        kind = "definition" if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) else "other"
        text = lines[start:end]
        if kind == "other" and previous_kind == "other" and chunks:
            chunks[-1].extend(text)
        else:
            chunks.append(text)
        previous_kind = kind
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    slug = module.removesuffix(".py")
    notebook.cells.append(
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\nFill in every `TODO` below and run the cells. To grade what you have run so far, run the "
            '`check()` cell at the end (nothing is saved or sent anywhere); `check("function_name")` runs the '
            "checks of one function. A cell whose first line is `# scratch` is left out of grading: use one to try "
            f"things out. From a terminal, `grade {slug}.ipynb` grades the saved notebook. The statement and the "
            "API contract are in README.md."
        )
    )
    for chunk in chunks:
        cell_source = "\n".join(chunk).strip("\n")
        if cell_source:
            notebook.cells.append(nbformat.v4.new_code_cell(cell_source))
    notebook.cells.append(nbformat.v4.new_markdown_cell("## Check your work"))
    notebook.cells.append(nbformat.v4.new_code_cell(f'from grader import check\n\ncheck(exercise="{slug}");'))
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"
    nbformat.validate(notebook)
    return notebook
