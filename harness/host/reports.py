"""Show a result in the terminal: each check with its id, points and message, then the total.

The layout follows the terminal: a table when there is room, one block per check when it is
narrower than :data:`NARROW_COLUMNS` (Jupyter, CI logs), so check names never wrap into tall
cells.  A message that several checks share (an import that failed, a syntax error) is shown
once, as a banner, and the checks point to it.

Every text that came from a result (check names, messages, what the candidate's code printed,
paths) is shown through :func:`harness.host.sinks.terminal_text`: never as Rich markup, never
with raw control characters.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from harness.host.sinks import terminal_text
from harness.project import Exercise
from harness.wire.results import CheckResult, Outcome, RunResult, Status
from harness.wire.text import clean_text

OUTCOME_STYLE = {
    Outcome.PASSED: ("✔", "green"),
    Outcome.FAILED: ("✘", "red"),
    Outcome.NOT_IMPLEMENTED: ("…", "yellow"),
    Outcome.TIMEOUT: ("⏱", "red"),
    Outcome.CRASHED: ("☠", "red"),
    Outcome.OUT_OF_MEMORY: ("▲", "red"),
    Outcome.NOT_RUN: ("-", "dim"),
    Outcome.ERROR: ("!", "magenta"),
}
CANDIDATE_OUTPUT_LINES = 12
NARROW_COLUMNS = 100
SHARED_MESSAGE_MIN_CHECKS = 2


def _points(value: float) -> str:
    return f"{value:g}"


def _last_lines(text: str, count: int) -> str:
    lines = text.rstrip().splitlines()
    if len(lines) <= count:
        return "\n".join(lines)
    return "\n".join([f"... ({len(lines) - count} earlier lines)"] + lines[-count:])


def short_id(check: CheckResult) -> str:
    """The check's id as the README tables name it: ``test_output_shape``."""
    return check.check_id.split("::")[-1]


def _shared_messages(result: RunResult) -> dict[str, int]:
    """Messages that several failed checks share, numbered for the banners that show them once."""
    counts = Counter(check.output for check in result.checks if check.output and check.outcome is not Outcome.PASSED)
    shared = [message for message, count in counts.items() if count >= SHARED_MESSAGE_MIN_CHECKS]
    return {message: number for number, message in enumerate(shared, start=1)}


def _message(check: CheckResult, shared: dict[str, int], *, verbose: bool) -> Text:
    _, style = OUTCOME_STYLE[check.outcome]
    text = Text(check.outcome.label, style=style)
    if check.duration_seconds >= 0.05:
        text.append(f"  ({check.duration_seconds:.1f} s)", style="dim")
    if check.output and check.outcome is not Outcome.PASSED:
        if check.output in shared:
            text.append(f"\nsee note {shared[check.output]} above", style="default")
        else:
            text.append("\n" + clean_text(check.output), style="default")
    if check.candidate_output and (verbose or check.outcome is not Outcome.PASSED):
        text.append(
            "\nYour code printed:\n" + _last_lines(clean_text(check.candidate_output), CANDIDATE_OUTPUT_LINES),
            style="dim",
        )
    return text


def _name(check: CheckResult) -> Text:
    name = Text(short_id(check), style="bold")
    name.append("\n")
    name.append_text(terminal_text(check.name))
    if check.hidden:
        name.append(" (hidden)", style="dim")
    return name


def _as_table(result: RunResult, shared: dict[str, int], *, verbose: bool) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("", width=2, no_wrap=True)
    table.add_column("Check", ratio=2)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Result", ratio=5)
    for check in result.checks:
        symbol, style = OUTCOME_STYLE[check.outcome]
        table.add_row(
            Text(symbol, style=style),
            _name(check),
            f"{_points(check.score)}/{_points(check.max_score)}",
            _message(check, shared, verbose=verbose),
        )
    return table


def _as_blocks(result: RunResult, shared: dict[str, int], *, verbose: bool) -> Group:
    blocks: list[RenderableType] = []
    for check in result.checks:
        symbol, style = OUTCOME_STYLE[check.outcome]
        head = Text(f"{symbol} ", style=style)
        head.append(f"{_points(check.score)}/{_points(check.max_score)} ", style="bold")
        head.append(short_id(check), style="bold")
        head.append(" — ")
        head.append_text(terminal_text(check.name))
        if check.hidden:
            head.append(" (hidden)", style="dim")
        blocks += [head, Padding(_message(check, shared, verbose=verbose), (0, 0, 0, 4))]
    return Group(*blocks)


def render_result(
    result: RunResult, *, console: Console, verbose: bool = False, hidden_points: float = 0, hidden_checks: int = 0
) -> None:
    """Print ``result``: banners for shared messages, one entry per check, notes, and the total.

    ``hidden_points``/``hidden_checks`` are what the run left out (a candidate's run): said once, at
    the end, so that a full score here is never mistaken for a full score.
    """
    submission = result.submission.get("file") or result.submission.get("path", "")
    console.print(
        terminal_text(f"{result.exercise} — {submission} (seed {result.seed}, {result.backend} backend)", style="bold")
    )
    shared = _shared_messages(result)
    for message, number in shared.items():
        count = sum(check.output == message for check in result.checks)
        console.print(
            Panel(
                terminal_text(_last_lines(clean_text(message), 40)),
                title=f"note {number}: {count} checks",
                title_align="left",
                border_style="red",
            )
        )
    narrow = console.width < NARROW_COLUMNS
    console.print(_as_blocks(result, shared, verbose=verbose) if narrow else _as_table(result, shared, verbose=verbose))
    if result.output:
        console.print(
            Panel(terminal_text(_last_lines(clean_text(result.output), 30)), title="Output", title_align="left")
        )
    if result.status is Status.ERROR:
        console.print(Text("Grading error: ", style="bold magenta") + terminal_text(result.error or ""))
        console.print(
            Text(
                "The score is incomplete; this is a problem of the grader or the machine, "
                "not of your submission." + (" Grade again." if result.retryable else ""),
                style="magenta",
            )
        )
    style = {"pass": "bold green", "fail": "bold yellow", "error": "bold magenta"}[result.status.value]
    total = Text(f"Total: {_points(result.score)} / {_points(result.max_score)}", style=style)
    total.append(f"  ({result.durations.get('total_seconds', 0):.1f} s)", style="dim")
    console.print(total)
    if hidden_points:
        console.print(
            Text(
                f"{_points(hidden_points)} hidden point{'' if hidden_points == 1 else 's'} "
                f"({hidden_checks} check{'' if hidden_checks == 1 else 's'}) not run here; instructors "
                "grade with them too.",
                style="dim",
            )
        )


def render_catalogue(exercises: list[Exercise], *, console: Console) -> None:
    """Print the exercises with their points and budgets; stacked when the terminal is narrow."""
    if console.width < NARROW_COLUMNS:
        for exercise in exercises:
            line = Text(exercise.slug, style="bold")
            line.append(
                f"  {_points(exercise.public_points)} + {_points(exercise.hidden_points)} hidden points, "
                f"{len(exercise.checks) + exercise.hidden_check_count_without_file} checks, "
                f"{exercise.time_budget_seconds:g} CPU-s, {exercise.limits.memory_mb} MB"
            )
            console.print(line)
            console.print(Text(f"    {exercise.title}", style="dim"))
        return
    table = Table(title="Exercises")
    table.add_column("Exercise", no_wrap=True)
    table.add_column("Title")
    table.add_column("Seed questions")
    table.add_column("Checks", justify="right")
    table.add_column("Points (public + hidden)", justify="right", no_wrap=True)
    table.add_column("Budget (CPU s)", justify="right")
    table.add_column("Memory", justify="right")
    for exercise in exercises:
        table.add_row(
            exercise.slug,
            exercise.title,
            ", ".join(map(str, exercise.seed_questions)),
            str(len(exercise.checks) + exercise.hidden_check_count_without_file),
            f"{_points(exercise.public_points)} + {_points(exercise.hidden_points)}",
            f"{exercise.time_budget_seconds:g}",
            f"{exercise.limits.memory_mb} MB",
        )
    console.print(table)
