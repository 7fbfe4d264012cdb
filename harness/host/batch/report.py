"""Write the HTML report of a gradebook, read top down: summary, candidates, then each check.

1. A summary: the cohort, per exercise how many submitted, are missing, full, partial, zero
   or errors, the mean and median, lateness, a histogram of totals, flagged pairs and the files
   that were not graded.
2. The candidate table, sortable by any column (an inlined script; reports open offline).
3. The item analysis: each check's pass rate and discrimination (the correlation of passing it
   with the rest of the exercise's score), with the score distribution of each exercise.

Plots are PNG files beside ``index.html``; candidate pages are in ``candidates/`` and the flagged
pairs, side by side, in ``pairs/``.  Every text from a result is escaped: candidates' output never
becomes markup.  ``report.json`` records the gradebook revision the report shows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from harness.host.batch.gradebook import ROW_STATUSES, Gradebook
from harness.host.batch.plots import check_pass_rates, score_distribution
from harness.host.batch.report_pages import candidate_page, page, pair_page, status_badge
from harness.host.batch.report_stats import ExerciseNumbers, ItemStatistics, exercise_numbers, item_analysis
from harness.host.batch.view import GradebookView
from harness.host.sinks import file_name_for
from harness.host.sinks import html_text as escape

REPORT_STATE = "report.json"


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _sortable_header(names: list[str]) -> str:
    return (
        "<thead><tr>"
        + "".join(f'<th><button type="button">{escape(name)}</button></th>' for name in names)
        + "</tr></thead>"
    )


def _cohort_lines(view: GradebookView, gradebook: Path) -> str:
    batch = view.last_batch
    on_roster = sum(member.on_roster for member in view.members.values())
    candidates = len(view.by_candidate())
    lines = [
        f"{candidates} candidates"
        + (f" ({on_roster} from the roster)" if on_roster else "")
        + f", {len(view.exercises())} exercises; gradebook <code>{escape(str(gradebook))}</code>, revision "
        f"{view.revision}."
    ]
    if batch.get("due"):
        lines.append(f"Due {escape(batch['due'])}; late policy: {escape(batch.get('late_policy', 'none'))}.")
    if batch.get("unknown"):
        lines.append('<span class="error">Not on the roster, not graded:</span> ' + escape(", ".join(batch["unknown"])))
    if batch.get("ignored"):
        lines.append("Ignored in the submissions folder (no candidate): " + escape(", ".join(batch["ignored"])))
    return "".join(f"<p>{line}</p>" for line in lines)


def _exercise_table(numbers: dict[str, ExerciseNumbers]) -> str:
    columns = ["Exercise", "Max", "Submitted", *ROW_STATUSES, "Mean", "Median", "Late", "Flagged pairs"]
    rows = []
    for item in numbers.values():
        counts = "".join(f'<td class="num">{item.statuses.get(status, 0)}</td>' for status in ROW_STATUSES)
        rows.append(
            f'<tr><td>{escape(item.slug)}</td><td class="num">{item.max_score:g}</td>'
            f'<td class="num">{item.submitted}</td>{counts}<td class="num">{_number(item.mean)}</td>'
            f'<td class="num">{_number(item.median)}</td><td class="num">{item.late}</td>'
            f'<td class="num">{item.flagged}</td></tr>'
        )
    header = "".join(f"<th>{escape(name)}</th>" for name in columns)
    return f'<table class="exercises"><tr>{header}</tr>\n' + "\n".join(rows) + "</table>"


def _flag_table(view: GradebookView, compared: dict[tuple[str, str], str], out_dir: Path) -> str:
    if not view.flags:
        return "<p>No pair of submissions was flagged as copied.</p>"
    rows = []
    for number, flag in enumerate(view.flags, start=1):
        exercise, first, second, value, kind = flag
        link = f"pairs/{file_name_for(exercise)}-{number}.html"
        (out_dir / link).write_text(
            pair_page(flag, compared.get((exercise, first)), compared.get((exercise, second))), encoding="utf-8"
        )
        rows.append(
            f"<tr><td>{escape(exercise)}</td><td>{escape(first)}</td><td>{escape(second)}</td>"
            f'<td class="num">{value:.2f}</td><td>{escape(kind)}</td>'
            f'<td><a href="{escape(link)}">side by side</a></td></tr>'
        )
    return (
        '<table class="flags"><tr><th>Exercise</th><th>Candidate</th><th>Candidate</th><th>Similarity</th>'
        "<th>Kind</th><th></th></tr>\n" + "\n".join(rows) + "</table>"
    )


def _accounting(view: GradebookView) -> str:
    if not view.accounting:
        return ""
    items = "".join(
        f"<li>{escape(candidate)}: {escape('; '.join(lines))}</li>"
        for candidate, lines in sorted(view.accounting.items())
    )
    return f'<h3>Files not graded</h3><ul class="accounting">{items}</ul>'


def _candidate_table(view: GradebookView, out_dir: Path) -> str:
    exercises = view.exercises()
    flagged: dict[str, int] = {}
    for flag in view.flags:
        for candidate in flag[1:3]:
            flagged[candidate] = flagged.get(candidate, 0) + 1
    rows = []
    for candidate, results in view.by_candidate().items():
        link = f"candidates/{file_name_for(candidate)}.html"
        (out_dir / link).write_text(candidate_page(view, candidate, results), encoding="utf-8")
        cells, total, late = [], 0.0, 0
        for exercise in exercises:
            entry = results.get(exercise)
            if entry is None:
                cells.append('<td data-sort="-1"></td>')
                continue
            adjustment = view.adjustment(entry)
            total += adjustment.final_score
            late += adjustment.days_late
            sort_value = -1 if adjustment.row_status == "missing" else adjustment.final_score
            late_mark = f' <span class="note">{adjustment.days_late}d late</span>' if adjustment.days_late else ""
            cells.append(
                f'<td class="num" data-sort="{sort_value:g}">{adjustment.final_score:g} / '
                f"{entry.result.max_score:g} {status_badge(adjustment.row_status)}{late_mark}</td>"
            )
        member = view.member(candidate)
        rows.append(
            f'<tr><td><a href="{escape(link)}">{escape(candidate)}</a></td><td>{escape(member.name)}</td>'
            + "".join(cells)
            + f'<td class="num" data-sort="{total:g}"><b>{total:g}</b></td>'
            f'<td class="num">{late}</td><td class="num">{flagged.get(candidate, 0)}</td></tr>'
        )
    header = _sortable_header(["Candidate", "Name", *exercises, "Total", "Days late", "Flags"])
    return (
        f'<table class="gradebook sortable">{header}<tbody>\n' + "\n".join(rows) + "</tbody></table>"
        '<p class="note">Click a column\'s header to sort by it; click again to reverse. Scores are after '
        "late penalties.</p>"
    )


def _item_section(numbers: ExerciseNumbers, items: list[ItemStatistics], out_dir: Path) -> str:
    distribution = f"score_distribution_{file_name_for(numbers.slug)}.png"
    pass_rate = f"check_pass_rate_{file_name_for(numbers.slug)}.png"
    score_distribution(
        numbers.scores,
        max_score=numbers.max_score,
        path=out_dir / distribution,
        title=f"{numbers.slug}: scores of {len(numbers.scores)} submissions",
    )
    check_pass_rates(
        [(item.name, item.pass_rate or 0.0) for item in items],
        path=out_dir / pass_rate,
        title=f"{numbers.slug}: pass rate per check",
    )
    rows = []
    for item in sorted(items, key=lambda item: (item.pass_rate if item.pass_rate is not None else 2, item.check_id)):
        common = ", ".join(f"{label} ({count})" for label, count in item.common_failures)
        rate = "n/a" if item.pass_rate is None else f"{100 * item.pass_rate:.0f}%"
        rows.append(
            f"<tr><td>{escape(item.name)}</td><td><code>{escape(item.check_id)}</code></td>"
            f'<td class="num">{item.passed}/{item.taken}</td><td class="num">{rate}</td>'
            f'<td class="num">{_number(item.discrimination)}</td><td>{escape(common)}</td></tr>'
        )
    return (
        f'<h3>{escape(numbers.slug)}</h3>\n<div class="plots">'
        f'<img src="{distribution}" alt="score distribution of {escape(numbers.slug)}">'
        f'<img src="{pass_rate}" alt="pass rate per check of {escape(numbers.slug)}"></div>\n'
        '<table class="checks"><tr><th>Check</th><th>Id</th><th>Passed</th><th>Pass rate</th>'
        f"<th>Discrimination</th><th>Most common failures</th></tr>\n{''.join(rows)}</table>"
    )


def write_report(*, gradebook: Path, out_dir: Path) -> Path:
    """Write the HTML report of the gradebook file ``gradebook`` into ``out_dir``; return its index page."""
    book = Gradebook(gradebook, create=False)
    view = GradebookView.of(book)
    out_dir = Path(out_dir)
    for folder in ("candidates", "pairs"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    numbers = exercise_numbers(view)
    items = item_analysis(view)
    totals = [
        sum(view.adjustment(entry).final_score for entry in results.values())
        for results in view.by_candidate().values()
    ]
    maximum = sum(item.max_score for item in numbers.values())
    score_distribution(
        totals,
        max_score=maximum,
        path=out_dir / "totals.png",
        title=f"Totals of {len(totals)} candidates (after late penalties)",
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        _item_section(item, [i for i in items if i.exercise == slug], out_dir) for slug, item in numbers.items()
    ]
    body = (
        f'<h1>Batch report</h1><p class="note">Generated {generated} from gradebook revision {view.revision}; '
        "every <code>grade batch</code> into this gradebook writes it again.</p>\n"
        "<h2>Summary</h2>"
        + _cohort_lines(view, gradebook)
        + _exercise_table(numbers)
        + '<div class="plots"><img src="totals.png" alt="histogram of totals"></div>'
        + "<h3>Flagged pairs</h3>"
        + _flag_table(view, book.compared(), out_dir)
        + _accounting(view)
        + "\n<h2>Candidates</h2>\n"
        + _candidate_table(view, out_dir)
        + '\n<h2>Checks</h2><p class="note">Discrimination is the correlation of passing a check with the rest '
        "of the exercise's score, over submissions that were graded: near 0 or negative, the check does not "
        "tell stronger submissions from weaker ones.</p>\n" + "\n".join(sections)
    )
    index = out_dir / "index.html"
    index.write_text(page("Batch report", body, script=True), encoding="utf-8")
    (out_dir / REPORT_STATE).write_text(
        json.dumps({"gradebook": str(Path(gradebook).resolve()), "revision": view.revision, "generated": generated})
        + "\n",
        encoding="utf-8",
    )
    return index


def report_is_stale(*, gradebook: Path, out_dir: Path) -> bool:
    """Whether the report in ``out_dir`` shows an older revision of ``gradebook`` than it now has."""
    try:
        state = json.loads((Path(out_dir) / REPORT_STATE).read_text(encoding="utf-8"))
        return int(state["revision"]) != Gradebook(gradebook, create=False).revision()
    except (OSError, ValueError, KeyError, TypeError):
        return True
