"""Show a result in the terminal: a table of checks, then the total.

Every text that came from a result (check names, messages, what the candidate's code printed,
paths) is shown through :func:`harness.host.sinks.terminal_text`: never as Rich markup, never
with raw control characters.
"""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.host.sinks import terminal_text
from harness.project import Exercise
from harness.wire.results import Outcome, RunResult, Status
from harness.wire.text import clean_text

OUTCOME_STYLE = {
    Outcome.PASSED: ("✔", "green"),
    Outcome.FAILED: ("✘", "red"),
    Outcome.NOT_IMPLEMENTED: ("…", "yellow"),
    Outcome.TIMEOUT: ("⏱", "red"),
    Outcome.CRASHED: ("☠", "red"),
    Outcome.OUT_OF_MEMORY: ("▲", "red"),
    Outcome.NOT_RUN: ("-", "dim"),
}
CANDIDATE_OUTPUT_LINES = 12


def _points(value: float) -> str:
    return f"{value:g}"


def _last_lines(text: str, count: int) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= count:
        return "\n".join(lines)
    return "\n".join([f"... ({len(lines) - count} earlier lines)"] + lines[-count:])


def render_result(result: RunResult, *, console: Console, verbose: bool = False,
                  hidden_not_run: int = 0) -> None:
    """Print the table of checks and the total score of ``result``."""
    submission = result.submission.get("file") or result.submission.get("path", "")
    table = Table(title=terminal_text(f"{result.exercise} — {submission} (seed {result.seed}, "
                                      f"{result.backend} backend)"), show_lines=True, expand=True)
    table.add_column("", width=2, no_wrap=True)
    table.add_column("Check", ratio=2)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Result", ratio=5)
    for check in result.checks:
        symbol, style = OUTCOME_STYLE[check.outcome]
        message = Text(check.outcome.label if check.outcome is not Outcome.PASSED else "passed", style=style)
        if check.output and check.outcome is not Outcome.PASSED:
            message.append("\n" + clean_text(check.output), style="default")
        if check.candidate_output and (verbose or check.outcome is not Outcome.PASSED):
            message.append("\nYour code printed:\n" + _last_lines(clean_text(check.candidate_output),
                                                                   CANDIDATE_OUTPUT_LINES), style="dim")
        name = terminal_text(check.name)
        if check.hidden:
            name.append(" (hidden)", style="dim")
        table.add_row(Text(symbol, style=style), name, f"{_points(check.score)}/{_points(check.max_score)}",
                      message)
    console.print(table)
    if result.output:
        console.print(Panel(terminal_text(_last_lines(clean_text(result.output), 30)), title="Output", expand=True))
    if hidden_not_run:
        console.print(f"[dim]{hidden_not_run} hidden check(s) are not run here; instructors grade with them.[/dim]")
    if result.status is Status.ERROR:
        console.print(Text("Grading error: ", style="bold magenta") + terminal_text(result.error or ""))
        console.print(Text("The score below is incomplete; this is a problem of the grader, "
                           "not of your submission.", style="magenta"))
    style = {"pass": "bold green", "fail": "bold yellow", "error": "bold magenta"}[result.status.value]
    console.print(Text(f"Total: {_points(result.score)} / {_points(result.max_score)}  "
                       f"({result.status.value}, {result.durations.get('total_seconds', 0):.1f} s)", style=style))


def render_catalogue(exercises: list[Exercise], *, console: Console) -> None:
    """Print the exercises with their points and time budgets."""
    table = Table(title="Exercises")
    table.add_column("Exercise")
    table.add_column("Title")
    table.add_column("Seed questions")
    table.add_column("Checks", justify="right")
    table.add_column("Points (public + hidden)", justify="right")
    table.add_column("Time budget", justify="right")
    table.add_column("Memory", justify="right")
    for exercise in exercises:
        public = exercise.max_score(include_hidden=False)
        total = exercise.max_score(include_hidden=True)
        table.add_row(exercise.slug, exercise.title, ", ".join(map(str, exercise.seed_questions)),
                      str(len(exercise.checks)), f"{_points(public)} + {_points(total - public)}",
                      f"{exercise.time_budget_seconds:g} s", f"{exercise.limits.memory_mb} MB")
    console.print(table)
