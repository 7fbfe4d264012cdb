"""Write an HTML report of a gradebook: score distributions, check pass rates, and a page per candidate.

The plots are PNG files beside ``index.html``; candidate pages are in
``candidates/``.  Every text from a result is escaped: candidates' output
never becomes markup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from harness.host.batch.exports import by_candidate, exercises_of
from harness.host.sinks import file_name_for
from harness.host.sinks import html_text as escape
from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.plots import check_pass_rates, score_distribution
from harness.wire.results import Outcome

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1150px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #2a7d3f; } .fail { color: #b35c00; } .error { color: #b00020; font-weight: bold; }
.plots img { max-width: 49%; border: 1px solid #ddd; margin: 2px; vertical-align: top; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: 6px; margin: 0; max-width: 700px; }
"""


@dataclass
class ExerciseSummary:
    """What the report says about one exercise."""

    slug: str
    scores: list[float] = field(default_factory=list)
    max_score: float = 0.0
    checks: dict[str, dict] = field(default_factory=dict)  # check_id -> name, passed, total, outcomes


def summarize(entries: list[GradebookEntry]) -> dict[str, ExerciseSummary]:
    """Gather the scores and per-check outcomes of every exercise."""
    summaries: dict[str, ExerciseSummary] = {}
    for entry in entries:
        summary = summaries.setdefault(entry.exercise, ExerciseSummary(entry.exercise))
        summary.scores.append(entry.result.score)
        summary.max_score = max(summary.max_score, entry.result.max_score)
        for check in entry.result.checks:
            stats = summary.checks.setdefault(check.check_id, {"name": check.name, "passed": 0, "total": 0,
                                                               "outcomes": Counter()})
            stats["total"] += 1
            stats["passed"] += check.outcome is Outcome.PASSED
            if check.outcome is not Outcome.PASSED:
                stats["outcomes"][check.outcome.label] += 1
    return summaries


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _status(entry: GradebookEntry) -> str:
    status = entry.result.status.value
    return f'<span class="{status}">{status}</span>'


def _score_cell(entry: GradebookEntry | None) -> str:
    if entry is None:
        return "<td></td>"
    return f"<td class=\"num\">{entry.result.score:g} / {entry.result.max_score:g} {_status(entry)}</td>"


def _exercise_section(summary: ExerciseSummary, out_dir: Path) -> str:
    distribution = f"score_distribution_{summary.slug}.png"
    pass_rate = f"check_pass_rate_{summary.slug}.png"
    score_distribution(summary.scores, max_score=summary.max_score, path=out_dir / distribution,
                       title=f"{summary.slug}: scores of {len(summary.scores)} candidates")
    rates = [(stats["name"], stats["passed"] / stats["total"]) for stats in summary.checks.values()]
    check_pass_rates(rates, title=f"{summary.slug}: pass rate per check", path=out_dir / pass_rate)
    rows = []
    for check_id, stats in sorted(summary.checks.items(), key=lambda item: item[1]["passed"] / item[1]["total"]):
        common = ", ".join(f"{label} ({count})" for label, count in stats["outcomes"].most_common(3))
        rows.append(f"<tr><td>{escape(stats['name'])}</td><td><code>{escape(check_id)}</code></td>"
                    f"<td class=\"num\">{stats['passed']}/{stats['total']}</td>"
                    f"<td class=\"num\">{100 * stats['passed'] / stats['total']:.0f}%</td>"
                    f"<td>{escape(common)}</td></tr>")
    return (f"<h2>{escape(summary.slug)}</h2>\n<div class=\"plots\">"
            f"<img src=\"{distribution}\" alt=\"score distribution of {escape(summary.slug)}\">"
            f"<img src=\"{pass_rate}\" alt=\"pass rate per check of {escape(summary.slug)}\"></div>\n"
            "<table class=\"checks\"><tr><th>Check</th><th>Id</th><th>Passed</th><th>Pass rate</th>"
            f"<th>Most common failures</th></tr>\n{''.join(rows)}</table>")


def _candidate_page(candidate: str, results: dict[str, GradebookEntry]) -> str:
    total = sum(entry.result.score for entry in results.values())
    maximum = sum(entry.result.max_score for entry in results.values())
    parts = [f"<p><a href=\"../index.html\">&larr; all candidates</a></p><h1>{escape(candidate)}</h1>",
             f"<p>Total: <b>{total:g} / {maximum:g}</b></p>"]
    for exercise, entry in results.items():
        result = entry.result
        parts.append(f"<h2>{escape(exercise)}: {result.score:g} / {result.max_score:g} ({_status(entry)})</h2>"
                     f"<p>Graded from <code>{escape(entry.source)}</code> at {escape(entry.graded_at)}, "
                     f"seed {result.seed}, backend {escape(result.backend)}.</p>")
        if result.error:
            parts.append(f"<p class=\"error\">Grading error: {escape(result.error)}</p>")
        if result.output:
            parts.append(f"<pre>{escape(result.output)}</pre>")
        rows = []
        for check in result.checks:
            printed = (f"<details><summary>what the code printed</summary><pre>{escape(check.candidate_output)}"
                       "</pre></details>") if check.candidate_output else ""
            feedback = f"<pre>{escape(check.output)}</pre>" if check.output else ""
            rows.append(f"<tr><td>{escape(check.name)}</td><td>{check.visibility}</td>"
                        f"<td class=\"{'pass' if check.outcome is Outcome.PASSED else 'fail'}\">"
                        f"{escape(check.outcome.label)}</td><td class=\"num\">{check.score:g} / {check.max_score:g}"
                        f"</td><td>{feedback}{printed}</td></tr>")
        parts.append("<table><tr><th>Check</th><th>Visibility</th><th>Outcome</th><th>Points</th>"
                     f"<th>Feedback</th></tr>\n{''.join(rows)}</table>")
    return _page(f"{candidate}: feedback", "\n".join(parts))


def write_report(*, gradebook: Path, out_dir: Path) -> Path:
    """Write the HTML report of the gradebook file ``gradebook`` into ``out_dir``; return its index page."""
    entries = Gradebook(gradebook, create=False).entries()
    out_dir = Path(out_dir)
    (out_dir / "candidates").mkdir(parents=True, exist_ok=True)
    exercises = exercises_of(entries)
    grouped = by_candidate(entries)
    sections = [_exercise_section(summary, out_dir) for _, summary in sorted(summarize(entries).items())]
    header = "".join(f"<th>{escape(exercise)}</th>" for exercise in exercises)
    rows = []
    for candidate, results in grouped.items():
        page = f"candidates/{file_name_for(candidate)}.html"
        (out_dir / page).write_text(_candidate_page(candidate, results), encoding="utf-8")
        cells = "".join(_score_cell(results.get(exercise)) for exercise in exercises)
        total = sum(entry.result.score for entry in results.values())
        rows.append(f"<tr><td><a href=\"{escape(page)}\">{escape(candidate)}</a></td>{cells}"
                    f"<td class=\"num\"><b>{total:g}</b></td></tr>")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = ", ".join(_count(number, noun) for number, noun in ((len(grouped), "candidate"),
                                                                  (len(exercises), "exercise"),
                                                                  (len(entries), "result")))
    body = (f"<h1>Batch report</h1><p>{counts}; gradebook <code>{escape(str(gradebook))}</code>; "
            f"generated {generated}.</p>\n"
            + "\n".join(sections)
            + f"\n<h2>Candidates</h2>\n<table class=\"gradebook\"><tr><th>Candidate</th>{header}<th>Total</th></tr>\n"
            + "\n".join(rows) + "</table>")
    index = out_dir / "index.html"
    index.write_text(_page("Batch report", body), encoding="utf-8")
    return index
