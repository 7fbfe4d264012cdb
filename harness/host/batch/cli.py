"""The ``grade batch`` and ``grade export`` commands: a thin click layer over the batch API."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from harness.errors import BadInput, GradeError
from harness.host.batch.exports import EXPORTERS, export_gradebook
from harness.host.batch.gradebook import Gradebook
from harness.host.batch.progress import ProgressBar
from harness.host.batch.runner import BatchSummary, run_batch
from harness.host.grading import BACKEND_CHOICES
from harness.host.exits import exits_cleanly
from harness.host.sinks import say, terminal_text
CONTEXT = {"help_option_names": ["-h", "--help"]}


def _exercise_list(text: str | None) -> list[str] | None:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return names or None


def _print_summary(summary: BatchSummary, gradebook: Path, console: Console) -> None:
    plural = "" if len(summary.exercises) == 1 else "s"
    console.print(terminal_text(f"{summary.candidates} candidates x {len(summary.exercises)} exercise{plural} "
                                f"({', '.join(summary.exercises)}): graded {summary.graded}, skipped "
                                f"{summary.skipped} (already in the gradebook), {summary.errors} grading errors"))
    if summary.ignored:
        say(console, "ignored ", "yellow", f"(neither a folder nor a .zip): {', '.join(summary.ignored)}")
    entries = Gradebook(gradebook, create=False).entries()
    table = Table(title=terminal_text(f"Gradebook {gradebook}"))
    for column in ("exercise", "candidates", "mean", "full marks", "zero", "errors"):
        table.add_column(column, justify="left" if column == "exercise" else "right")
    for exercise in summary.exercises:
        results = [entry.result for entry in entries if entry.exercise == exercise]
        if not results:
            continue
        maximum = max(result.max_score for result in results)
        mean = sum(result.score for result in results) / len(results)
        table.add_row(exercise, str(len(results)), f"{mean:.2f} / {maximum:g}",
                      str(sum(result.status.value == "pass" for result in results)),
                      str(sum(result.score == 0 for result in results)),
                      str(sum(result.status.value == "error" for result in results)))
    console.print(table)


@click.command("batch", context_settings=CONTEXT)
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option("--gradebook", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="SQLite gradebook to fill (created if missing; results already in it are not graded again).")
@click.option("--exercises", "exercise_names", metavar="SLUG,SLUG",
              help="Exercises to grade for every candidate (default: those found in the submissions).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=1, show_default=True,
              help="How many submissions to grade at once.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the data the checks generate.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True,
              help="Where to run: docker (isolated), local (subprocesses) or auto (docker if available).")
@click.option("--include-hidden/--public-only", default=True, show_default=True,
              help="Run the hidden checks too (the default for instructors), or only the public ones.")
@click.option("--data-secret", metavar="HEX", default=None,
              help="The secret check data comes from (default: drawn once per gradebook and kept in it).")
@click.option("--retry-errors", is_flag=True,
              help="Grade again the results that are grading errors (e.g. the backend failed), not only changes.")
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write CSV, JSON, Gradescope and JUnit exports of the gradebook here.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write an HTML report with plots here.")
@exits_cleanly
def batch_command(submissions_dir, gradebook, exercise_names, jobs, seed, backend, include_hidden, data_secret,
                  retry_errors, export_dir, report_dir):
    """Grade every candidate in SUBMISSIONS_DIR into a gradebook, resuming where it stopped.

    SUBMISSIONS_DIR holds one folder or one .zip file per candidate (named after
    the candidate); inside, exercise folders named by slug (cnn/), loose modules
    (cnn.py) or notebooks (cnn.ipynb). A submission that crashes, hangs or is
    refused gets its reason recorded and the batch goes on. Re-running the same
    command grades only what changed; a killed batch resumes without loss.

    \b
    Example:
      grade batch submissions/ --gradebook cohort.sqlite -j 4 --export-dir out/ --report out/report

    \b
    Exit codes: 0 the batch completed (whatever the scores), 2 bad usage or input.
    """
    console = Console()
    errors = Console(stderr=True)
    if not submissions_dir.is_dir():
        raise BadInput(f"{submissions_dir} is not a folder")
    try:
        with ProgressBar(console) as progress:
            summary = run_batch(submissions_dir=submissions_dir, gradebook=gradebook,
                                exercises=_exercise_list(exercise_names), jobs=jobs, seed=seed, backend=backend,
                                include_hidden=include_hidden, retry_errors=retry_errors, observer=progress,
                                data_secret=data_secret,
                                notify=lambda message, always=False: say(errors, "note: ", "yellow", message))
    except GradeError:
        raise
    except ValueError as problem:
        raise BadInput(str(problem)) from None
    _print_summary(summary, gradebook, console)
    if export_dir:
        files = export_gradebook(gradebook=gradebook, out_dir=export_dir)
        console.print(terminal_text(f"wrote {len(files)} export files to {export_dir}"))
    if report_dir:
        from harness.host.batch.report import write_report  # matplotlib is loaded only for reports

        index = write_report(gradebook=gradebook, out_dir=report_dir)
        console.print(terminal_text(f"wrote the report: {index}"))
    return None


@click.command("export", context_settings=CONTEXT)
@click.argument("gradebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the CSV, JSON, Gradescope and JUnit files.")
@click.option("--format", "formats", type=click.Choice(list(EXPORTERS)), multiple=True,
              help="Only this format (repeatable; default: every format).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write an HTML report with plots here.")
@exits_cleanly
def export_command(gradebook, out_dir, formats, report_dir):
    """Export an existing GRADEBOOK: wide and long CSV, JSON, Gradescope results.json files, JUnit XML.

    \b
    Example:
      grade export cohort.sqlite --out exports/ --report exports/report
    """
    from harness.host.batch.report import write_report  # matplotlib is loaded only for reports

    files = export_gradebook(gradebook=gradebook, out_dir=out_dir, formats=list(formats) or None)
    index = write_report(gradebook=gradebook, out_dir=report_dir) if report_dir else None
    Console().print(terminal_text(f"wrote {len(files)} export files to {out_dir}"
                                  + (f"; the report: {index}" if index else "")))
