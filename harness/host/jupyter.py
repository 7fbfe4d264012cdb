"""Grade a notebook from one of its own cells: ``from grader import check; check()``.

``check()`` grades the code cells this kernel has run, in the order they ran (``In[1]``,
``In[2]``, ...), through the same engine and the same trust split as ``grade``: the code is
written to a private folder as the exercise's module and graded by a separate grader process
with a separate worker.  Nothing is saved into the notebook or sent anywhere.  A cell whose first
line is ``# scratch`` is left out; a cell that raises only costs the checks that need what it
would have defined.  ``check("conv2d_forward")`` runs the checks of one function.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from harness.errors import BadInput
from harness.host.grading import grade_submission, resolve_exercise
from harness.host.notebooks import cells_to_module
from harness.host.reports import OUTCOME_STYLE, render_result, short_id
from harness.host.sinks import html_text
from harness.project import get_exercise
from harness.wire.results import RunResult


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def executed_cells(shell) -> list[tuple[int, str]]:
    """The cells this kernel has run, as (execution count, source), without the one running now."""
    inputs = list(shell.user_ns.get("In", []))
    return [(number, source) for number, source in enumerate(inputs[:-1]) if number and source.strip()]


def _exercise(shell, exercise: str | None):
    if exercise:
        return get_exercise(exercise)
    declared = shell.user_ns.get("EXERCISE")
    if isinstance(declared, str):
        return get_exercise(declared)
    return resolve_exercise(Path.cwd(), None)


def as_html(result: RunResult, *, hidden_points: float = 0) -> str:
    """The result as an HTML table for Jupyter: every text escaped."""
    rows = []
    for check in result.checks:
        symbol, style = OUTCOME_STYLE[check.outcome]
        message = html_text(check.output) if check.outcome.value != "passed" else ""
        rows.append(
            f"<tr><td style='color:{style}'>{symbol}</td><td><code>{html_text(short_id(check))}</code><br>"
            f"{html_text(check.name)}</td><td>{check.score:g}/{check.max_score:g}</td>"
            f"<td style='white-space:pre-wrap;text-align:left'>{html_text(check.outcome.label)}"
            f"{'<br>' + message if message else ''}</td></tr>"
        )
    hidden = (
        (
            f"<p style='color:gray'>{hidden_points:g} hidden point{'' if hidden_points == 1 else 's'} not run "
            "here; instructors grade with them too.</p>"
        )
        if hidden_points
        else ""
    )
    output = f"<pre>{html_text(result.output)}</pre>" if result.output else ""
    return (
        f"<p><b>{html_text(result.exercise)}: {result.score:g} / {result.max_score:g}</b></p>"
        "<table><tr><th></th><th>check</th><th>points</th><th style='text-align:left'>result</th></tr>"
        f"{''.join(rows)}</table>{output}{hidden}"
    )


def check(
    *names: str, exercise: str | None = None, backend: str = "local", seed: int = 0, show: bool = True
) -> RunResult:
    """Grade the cells run so far (every public check, or only those of ``names``) and show the result."""
    shell = _ipython()
    if shell is None or "In" not in getattr(shell, "user_ns", {}):
        raise BadInput("check() grades the cells of a running Jupyter notebook; elsewhere, run grade PATH")
    chosen = _exercise(shell, exercise)
    converted = cells_to_module(executed_cells(shell), origin="the cells this notebook has run")
    with tempfile.TemporaryDirectory(prefix="grade-notebook-") as folder:
        module = Path(folder) / chosen.slug / chosen.module
        module.parent.mkdir()
        module.write_text(converted.source, encoding="utf-8")
        result = grade_submission(path=module, exercise=chosen.slug, seed=seed, backend=backend, only=names)
    if converted.notes:
        result.output = "\n".join(f"Note: {note}" for note in converted.notes) + (
            "\n\n" + result.output if result.output else ""
        )
    if show:
        _show(result, hidden_points=chosen.hidden_points)
    return result


def _show(result: RunResult, *, hidden_points: float) -> None:
    try:
        from IPython.display import HTML, display

        display(HTML(as_html(result, hidden_points=hidden_points)))
    except ImportError:  # a terminal IPython without display support: plain text
        from rich.console import Console

        text = io.StringIO()
        render_result(result, console=Console(file=text, width=100), hidden_points=hidden_points)
        print(text.getvalue())
