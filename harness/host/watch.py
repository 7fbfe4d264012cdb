"""``grade PATH --watch``: grade again on every save, and show only what changed since the last run.

The first run shows the whole report; each later one lists the checks that became passing or
failing, and the new total.  One data secret serves the whole session, so a check's outcome
changes only when the code does.  Every run is a fresh grader and a fresh worker, as always;
only the waiting is saved.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from harness.host.backends.standby import keep_warm
from harness.host.grading import grade_submission, resolve_exercise
from harness.host.live import RunProgress
from harness.host.reports import render_result, short_id
from harness.host.sinks import terminal_text
from harness.wire.results import Outcome, RunResult
from harness.wire.spec import new_salt

POLL_SECONDS = 0.5
WATCHED_SUFFIXES = (".py", ".ipynb")


def fingerprint(path: Path) -> str:
    """A digest of the files a grading reads: the file itself, or the .py and .ipynb files of a folder."""
    path = Path(path)
    files = (
        [path]
        if path.is_file()
        else sorted(child for child in path.rglob("*") if child.suffix in WATCHED_SUFFIXES and child.is_file())
    )
    digest = hashlib.sha256()
    for file in files:
        try:
            digest.update(str(file).encode("utf-8", "surrogateescape") + b"\0" + file.read_bytes() + b"\0")
        except OSError:
            digest.update(b"unreadable\0")
    return digest.hexdigest()


def changes(before: RunResult, after: RunResult) -> tuple[list[str], list[str]]:
    """(checks now passing that were not, checks now failing that passed), by id."""
    was = {check.check_id: check.outcome is Outcome.PASSED for check in before.checks}
    fixed = [
        short_id(check)
        for check in after.checks
        if check.outcome is Outcome.PASSED and not was.get(check.check_id, False)
    ]
    broken = [
        short_id(check)
        for check in after.checks
        if check.outcome is not Outcome.PASSED and was.get(check.check_id, False)
    ]
    return fixed, broken


def show_changes(before: RunResult, after: RunResult, console: Console) -> None:
    fixed, broken = changes(before, after)
    if not fixed and not broken:
        console.print(Text("no check changed", style="dim"))
    for check_id in fixed:
        console.print(Text("✔ now passing: ", style="green") + terminal_text(check_id))
    for check_id in broken:
        failing = next(check for check in after.checks if short_id(check) == check_id)
        console.print(Text("✘ now failing: ", style="red") + terminal_text(f"{check_id}: {failing.output}"))
    console.print(Text(f"Total: {after.score:g} / {after.max_score:g}", style="bold"))


def watch_submission(
    *,
    path: Path,
    exercise_slug: str | None,
    seed: int,
    backend: str,
    only=(),
    data_secret: str | None = None,
    console: Console,
    stop: threading.Event | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> None:
    """Grade ``path`` now and again after every change to its files, until Ctrl-C (or ``stop``)."""
    exercise = resolve_exercise(path, exercise_slug)
    secret = data_secret or new_salt()
    stop = stop or threading.Event()
    with keep_warm():  # the next run's grader and worker start (TensorFlow imported) while you edit
        _watch(path, exercise, seed, backend, only, secret, console, stop, on_result)


def _watch(path, exercise, seed, backend, only, secret, console, stop, on_result) -> None:
    previous: RunResult | None = None
    while not stop.is_set():
        seen = fingerprint(path)
        with RunProgress(console) as progress:
            result = grade_submission(
                path=path,
                exercise=exercise.slug,
                seed=seed,
                backend=backend,
                only=only,
                data_secret=secret,
                on_progress=progress,
            )
        if previous is None:
            render_result(
                result, console=console, hidden_points=exercise.hidden_points, hidden_checks=exercise.hidden_check_count
            )
        else:
            show_changes(previous, result, console)
        if on_result is not None:
            on_result(result)
        previous = result
        console.print(Text(f"watching {path} for changes (Ctrl-C to stop)…", style="dim"))
        console.file.flush()  # piped output (``grade --watch | tee``) shows each report now, not when the buffer fills
        while not stop.wait(POLL_SECONDS) and fingerprint(path) == seen:
            pass
