"""The ``grade batch`` and ``grade export`` commands: a thin click layer over the batch API."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from harness.errors import BadInput, GradeError
from harness.host.backends import BACKEND_CHOICES
from harness.host.batch.cohort import CohortOptions
from harness.host.batch.deadlines import LatePolicy
from harness.host.batch.exports import EXPORTERS, export_gradebook
from harness.host.batch.gradebook import ROW_STATUSES, Gradebook
from harness.host.batch.layouts import LAYOUTS
from harness.host.batch.progress import ProgressBar
from harness.host.batch.roster import parse_time, read_roster
from harness.host.batch.runner import BatchSummary, run_batch
from harness.host.batch.similarity import DEFAULT_THRESHOLD
from harness.host.exits import exits_cleanly
from harness.host.sinks import say, terminal_text
from harness.host.staging import PREFERENCES

CONTEXT = {"help_option_names": ["-h", "--help"]}
REPORT_KEY = "report_dir"  # the gradebook remembers where its report lives, and every batch rewrites it


def _exercise_list(text: str | None) -> list[str] | None:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return names or None


def _print_summary(summary: BatchSummary, gradebook: Path, console: Console) -> None:
    plural = "" if len(summary.exercises) == 1 else "s"
    console.print(
        terminal_text(
            f"{summary.candidates} candidates x {len(summary.exercises)} exercise{plural} "
            f"({', '.join(summary.exercises)}): graded {summary.graded}, skipped "
            f"{summary.skipped} (already in the gradebook), {summary.errors} grading errors"
        )
    )
    if summary.ignored:
        say(console, "ignored ", "yellow", f"(no candidate): {', '.join(summary.ignored)}")
    if summary.unknown:
        say(console, "unknown ", "yellow", f"(not on the roster, not graded): {', '.join(summary.unknown)}")
    book = Gradebook(gradebook, create=False)
    adjustments = book.adjustments()
    table = Table(title=terminal_text(f"Gradebook {gradebook}"))
    for column in ("exercise", "rows", "mean", *ROW_STATUSES, "late", "flagged"):
        table.add_column(column, justify="left" if column == "exercise" else "right")
    flags = book.flags()
    for exercise in summary.exercises:
        rows = {key: item for key, item in adjustments.items() if key[1] == exercise}
        if not rows:
            continue
        scores = [item.final_score for item in rows.values() if item.row_status != "missing"]
        counts = [str(sum(item.row_status == status for item in rows.values())) for status in ROW_STATUSES]
        table.add_row(
            exercise,
            str(len(rows)),
            f"{sum(scores) / len(scores):.2f}" if scores else "-",
            *counts,
            str(sum(item.days_late > 0 for item in rows.values())),
            str(sum(flag[0] == exercise for flag in flags)),
        )
    console.print(table)


def _late_policy(per_day: float, cap: float, zero_after: float | None) -> LatePolicy:
    return LatePolicy(per_day_percent=per_day, cap_percent=cap, zero_after_days=zero_after)


@click.command("batch", context_settings=CONTEXT)
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option(
    "--gradebook",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="SQLite gradebook to fill (created if missing; results already in it are not graded again).",
)
@click.option(
    "--exercises",
    "exercise_names",
    metavar="SLUG,SLUG",
    help="Exercises to grade for every candidate (default: those found in the submissions).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=os.cpu_count() or 1,
    show_default="the cores",
    help="How many submissions to grade at once.",
)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of the cohort (id, name, email, [extension_days], [submitted_at], ...): no-shows become "
    "'missing', folders not on it are reported and not graded.",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="folders",
    show_default=True,
    help="How SUBMISSIONS_DIR is laid out: a folder or zip per candidate, or an LMS's bulk download.",
)
@click.option(
    "--pattern",
    metavar="REGEX",
    help="Match other namings: a group (?P<id>...) or (?P<name>...), and (?P<file>...) for flat files.",
)
@click.option("--accept-fuzzy", is_flag=True, help="Grade misnamed folders and files that look like an exercise.")
@click.option(
    "--prefer",
    type=click.Choice(PREFERENCES),
    default="newest",
    show_default=True,
    help="Which file to grade when both the .py and the .ipynb are filled in.",
)
@click.option("--due", metavar="ISO-TIME", help="Due date, e.g. 2026-12-01T23:59 (UTC unless an offset is given).")
@click.option("--late-per-day", type=click.FloatRange(0, 100), default=0.0, help="Percent taken per day late.")
@click.option("--late-cap", type=click.FloatRange(0, 100), default=100.0, help="At most this percent for lateness.")
@click.option("--late-zero-after", type=click.FloatRange(0), default=None, help="Score 0 after this many days late.")
@click.option(
    "--similarity",
    type=click.FloatRange(0.01, 1.0),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Flag pairs of submissions at least this similar (1.0: identical code).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help="Grade on a Dask cluster: tcp://scheduler:8786, or local:N for N worker processes here "
    "(pip install 'ml-grader[cluster]'). The gradebook stays on this machine.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the data the checks generate.")
@click.option(
    "--backend",
    type=click.Choice(BACKEND_CHOICES),
    default="auto",
    show_default=True,
    help="Where to run: docker (isolated), local (subprocesses) or auto (docker if available).",
)
@click.option(
    "--include-hidden/--public-only",
    default=True,
    show_default=True,
    help="Run the hidden checks too (the default for instructors), or only the public ones.",
)
@click.option(
    "--data-secret",
    metavar="HEX",
    default=None,
    help="The secret check data comes from (default: drawn once per gradebook and kept beside it).",
)
@click.option(
    "--retry-errors",
    is_flag=True,
    help="Grade again the results that are grading errors (e.g. the backend failed), not only changes.",
)
@click.option(
    "--export-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every export of the gradebook here.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the HTML report here (and again after every later batch into this gradebook).",
)
@exits_cleanly
def batch_command(
    submissions_dir,
    gradebook,
    exercise_names,
    jobs,
    roster,
    layout,
    pattern,
    accept_fuzzy,
    prefer,
    due,
    late_per_day,
    late_cap,
    late_zero_after,
    similarity,
    cluster,
    seed,
    backend,
    include_hidden,
    data_secret,
    retry_errors,
    export_dir,
    report_dir,
):
    """Grade every candidate in SUBMISSIONS_DIR into a gradebook, resuming where it stopped.

    SUBMISSIONS_DIR holds one folder or one .zip file per candidate (named by id or
    name), or an LMS's bulk download (--layout canvas|moodle); inside, exercise
    folders named by slug (cnn/), loose modules (cnn.py) or notebooks (cnn.ipynb).
    A submission that crashes, hangs or is refused gets its reason recorded and the
    batch goes on. Re-running the same command grades only what changed; a killed
    batch resumes without loss. Statuses are full, partial, zero, missing and error;
    copied submissions are flagged; late ones are penalised by the late policy.

    \b
    Example:
      grade batch downloads/ --layout canvas --roster roster.csv --gradebook cohort.sqlite \\
          --due 2026-12-01T23:59 --late-per-day 10 --late-cap 50 --export-dir out/ --report out/report

    \b
    Exit codes: 0 the batch completed (whatever the scores), 2 bad usage or input
    (or a cluster that cannot be used), 4 the cluster's scheduler was lost mid-batch:
    every result that arrived is kept, and the same command resumes.
    """
    console = Console()
    errors = Console(stderr=True)
    if not submissions_dir.is_dir():
        raise BadInput(f"{submissions_dir} is not a folder")
    try:
        cohort = CohortOptions(
            roster=read_roster(roster) if roster else None,
            layout=layout,
            pattern=pattern,
            accept_fuzzy=accept_fuzzy,
            prefer=prefer,
            due=parse_time(due) if due else None,
            late_policy=_late_policy(late_per_day, late_cap, late_zero_after),
            similarity_threshold=similarity,
        )
        with ProgressBar(console) as progress:
            summary = run_batch(
                submissions_dir=submissions_dir,
                gradebook=gradebook,
                exercises=_exercise_list(exercise_names),
                jobs=jobs,
                seed=seed,
                backend=backend,
                include_hidden=include_hidden,
                retry_errors=retry_errors,
                observer=progress,
                data_secret=data_secret,
                cohort=cohort,
                cluster=cluster,
                notify=lambda message, always=False: say(errors, "note: ", "yellow", message),
            )
    except GradeError:
        raise
    except ValueError as problem:
        raise BadInput(str(problem)) from None
    _print_summary(summary, gradebook, console)
    if summary.cluster is not None and summary.cluster.tasks:
        stats = summary.cluster
        console.print(
            terminal_text(
                f"cluster: {stats.tasks} tasks on {len(stats.workers)} workers, "
                f"{stats.bytes_shipped / stats.tasks / 1024:.1f} "
                f"KiB shipped per task, {stats.round_trip_seconds / stats.tasks:.2f} s round trip per task for "
                f"{stats.grading_seconds / stats.tasks:.2f} s of grading"
            )
        )
    if export_dir:
        files = export_gradebook(gradebook=gradebook, out_dir=export_dir)
        console.print(terminal_text(f"wrote {len(files)} export files to {export_dir}"))
    _refresh_report(gradebook, report_dir, console, errors)


def _refresh_report(gradebook: Path, report_dir: Path | None, console: Console, errors: Console) -> None:
    """Write the report to ``report_dir`` (remembered), or again where this gradebook's report was written."""
    book = Gradebook(gradebook, create=False)
    if report_dir:
        book.remember(REPORT_KEY, str(Path(report_dir).resolve()))
    remembered = report_dir or book.recall(REPORT_KEY)
    if not remembered:
        return
    from harness.host.batch.report import write_report

    try:
        index = write_report(gradebook=gradebook, out_dir=Path(remembered))
    except OSError as error:
        say(
            errors,
            "stale: ",
            "yellow",
            f"the report in {remembered} could not be written again ({error}); it "
            "shows an older state of the gradebook",
        )
        return
    console.print(
        terminal_text(f"wrote the report: {index}" + ("" if report_dir else " (kept up to date for this gradebook)"))
    )


@click.command("export", context_settings=CONTEXT)
@click.argument("gradebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the export files.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(list(EXPORTERS)),
    multiple=True,
    help="Only this format (repeatable; default: every format).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the HTML report here (and again after every later batch into this gradebook).",
)
@exits_cleanly
def export_command(gradebook, out_dir, formats, report_dir):
    """Export an existing GRADEBOOK: CSV (wide, long), JSON, Gradescope results, JUnit XML, Canvas and Moodle.

    Canvas: import canvas_grades.csv in Grades > Import (matched by the ID column, the
    roster's id). Moodle: import moodle_grades.csv as CSV, mapping 'Email address' to
    useremail (or 'ID number' to useridnumber). Scores are after late penalties.

    \b
    Example:
      grade export cohort.sqlite --out exports/ --report exports/report
    """
    files = export_gradebook(gradebook=gradebook, out_dir=out_dir, formats=list(formats) or None)
    console = Console()
    console.print(terminal_text(f"wrote {len(files)} export files to {out_dir}"))
    _refresh_report(gradebook, report_dir, console, Console(stderr=True))
