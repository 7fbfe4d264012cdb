"""The report's pages other than the index: one per candidate, one per flagged pair (side by side)."""

from __future__ import annotations

from harness.host.batch.gradebook import Adjustment, GradebookEntry
from harness.host.batch.report_assets import SORT_SCRIPT, STYLE
from harness.host.batch.view import GradebookView
from harness.host.sinks import html_text as escape
from harness.wire.results import Outcome

MAX_SHOWN_LINES = 2000


def page(title: str, body: str, *, script: bool = False) -> str:
    """A whole HTML page; ``title`` is escaped here, ``body`` must be markup already escaped."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n"
        + (f"<script>{SORT_SCRIPT}</script>\n" if script else "")
        + "</body></html>\n"
    )


def status_badge(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(status)}</span>'


def lateness_text(adjustment: Adjustment) -> str:
    """'2 days late, -20%' or 'on time', and where the submission time came from."""
    if adjustment.submitted_at is None:
        return "no submission time" if adjustment.row_status != "missing" else ""
    when = f"submitted {adjustment.submitted_at} (from {adjustment.time_source})"
    if adjustment.days_late <= 0:
        return f"{when}, on time"
    days = f"{adjustment.days_late} day{'' if adjustment.days_late == 1 else 's'} late"
    return f"{when}, {days}, penalty {adjustment.penalty_percent:g}%"


def candidate_page(view: GradebookView, candidate: str, results: dict[str, GradebookEntry]) -> str:
    """Everything about one candidate: each exercise's status, lateness, file graded, checks and feedback."""
    member = view.member(candidate)
    total = sum(view.adjustment(entry).final_score for entry in results.values())
    maximum = sum(entry.result.max_score for entry in results.values())
    parts = [
        f'<p><a href="../index.html">&larr; all candidates</a></p><h1>{escape(candidate)}</h1>',
        f"<p>{escape(member.name)} {escape(member.email)}"
        + ("" if member.on_roster else ' <span class="note">(not from a roster)</span>')
        + "</p>",
        f"<p>Total after late penalties: <b>{total:g} / {maximum:g}</b></p>",
    ]
    not_graded = view.accounting.get(candidate, [])
    if not_graded:
        parts.append(
            "<h2>Files not graded</h2><ul>" + "".join(f"<li>{escape(line)}</li>" for line in not_graded) + "</ul>"
        )
    for exercise, entry in results.items():
        result, adjustment = entry.result, view.adjustment(entry)
        parts.append(
            f"<h2>{escape(exercise)}: {adjustment.final_score:g} / {result.max_score:g} "
            f"{status_badge(adjustment.row_status)}</h2>"
        )
        if adjustment.row_status == "missing":
            parts.append("<p>Nothing was handed in for this exercise.</p>")
            continue
        parts.append(
            f"<p>Graded file: <code>{escape(entry.source)}</code>, at {escape(entry.graded_at)}, "
            f"seed {result.seed}, backend {escape(result.backend)}. {escape(lateness_text(adjustment))}"
            + (f" (score before the penalty: {result.score:g})" if adjustment.days_late else "")
            + "</p>"
        )
        for note in adjustment.notes:
            parts.append(f'<p class="note">{escape(note)}</p>')
        for flag in view.flags:
            if flag[0] == exercise and candidate in flag[1:3]:
                other = flag[2] if flag[1] == candidate else flag[1]
                parts.append(
                    f'<p class="error">Flagged: {escape(flag[4])} to {escape(other)}\'s submission '
                    f"(similarity {flag[3]:.2f}).</p>"
                )
        if result.error:
            parts.append(f'<p class="error">Grading error: {escape(result.error)}</p>')
        if result.output:
            parts.append(f"<pre>{escape(result.output)}</pre>")
        rows = []
        for check in result.checks:
            printed = (
                (
                    f"<details><summary>what the code printed</summary><pre>{escape(check.candidate_output)}"
                    "</pre></details>"
                )
                if check.candidate_output
                else ""
            )
            feedback = f"<pre>{escape(check.output)}</pre>" if check.output else ""
            rows.append(
                f"<tr><td>{escape(check.name)}</td><td>{escape(check.visibility)}</td>"
                f'<td class="{"pass" if check.outcome is Outcome.PASSED else "fail"}">'
                f'{escape(check.outcome.label)}</td><td class="num">{check.score:g} / {check.max_score:g}'
                f"</td><td>{feedback}{printed}</td></tr>"
            )
        parts.append(
            "<table><tr><th>Check</th><th>Visibility</th><th>Outcome</th><th>Points</th>"
            f"<th>Feedback</th></tr>\n{''.join(rows)}</table>"
        )
    return page(f"{candidate}: feedback", "\n".join(parts))


def _code_column(candidate: str, source: str, shared: set[str]) -> str:
    lines = source.splitlines()
    shown = []
    for number, line in enumerate(lines[:MAX_SHOWN_LINES], start=1):
        marked = line.strip() and line.strip() in shared
        text = f"{number:4d}  {escape(line)}"
        shown.append(f'<span class="same">{text}</span>' if marked else text)
    if len(lines) > MAX_SHOWN_LINES:
        shown.append(f"... {len(lines) - MAX_SHOWN_LINES} more lines")
    return f"<div><h2>{escape(candidate)}</h2><pre>" + "\n".join(shown) + "</pre></div>"


def pair_page(flag: tuple[str, str, str, float, str], first_source: str | None, second_source: str | None) -> str:
    """Two flagged submissions side by side, the lines they share highlighted."""
    exercise, first, second, value, kind = flag
    first_source, second_source = first_source or "(not kept)", second_source or "(not kept)"
    first_lines = {line.strip() for line in first_source.splitlines() if line.strip()}
    second_lines = {line.strip() for line in second_source.splitlines() if line.strip()}
    shared = first_lines & second_lines
    body = (
        f'<p><a href="../index.html">&larr; the report</a></p>'
        f"<h1>{escape(exercise)}: {escape(first)} and {escape(second)}</h1>"
        f"<p>{escape(kind)}, similarity {value:.2f} (the share of code fingerprints they have in common, "
        "after names, strings, comments and the order of definitions are set aside, and the skeleton's "
        "own code is left out). Lines found in both are highlighted.</p>"
        f'<div class="pair">{_code_column(first, first_source, shared)}'
        f"{_code_column(second, second_source, shared)}</div>"
    )
    return page(f"{exercise}: {first} and {second}", body)
