"""The ``grade`` command: a thin click layer over :mod:`harness.host.grading` and friends.

Exit codes of ``grade PATH`` (mapped from exceptions in one place, :mod:`harness.errors`):

\b
  0    the submission was graded (whatever its score)
  1    graded, but the score is below --fail-under
  2    bad usage or input: unknown exercise, missing or empty path, a zip, unusable backend
  3    grading error: the grader itself could not complete, the score is not trustworthy
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import difflib
import importlib
import sys
from contextlib import nullcontext
from pathlib import Path

import click
from rich.console import Console

from harness.errors import (
    EXIT_BELOW_THRESHOLD,
    EXIT_GRADED,
    EXIT_GRADING_ERROR,
    EXIT_INTERRUPTED,
    BadInput,
    GradeError,
)
from harness.host.backends import BACKEND_CHOICES
from harness.host.exits import exits_cleanly
from harness.host.grading import grade_submission, resolve_exercise
from harness.host.live import RunProgress
from harness.host.reports import render_catalogue, render_result
from harness.host.sinks import say
from harness.project import HARNESS_DIR, all_exercises
from harness.wire.results import Status
from harness.wire.spec import new_salt

# Commands loaded only when used, so that `grade PATH` imports nothing it does not need. Those of
# the authoring tier exist only where that tier is installed (not in the candidate kit).
LAZY_COMMANDS = {
    "batch": "harness.host.batch.cli:batch_command",
    "export": "harness.host.batch.cli:export_command",
    "image": "harness.host.image_commands:image_group",
    "new": "harness.authoring.commands:new_command",
    "skeleton": "harness.authoring.commands:skeleton_command",
    "bundle": "harness.authoring.commands:bundle_command",
    "calibrate": "harness.authoring.commands:calibrate_command",
    "selftest": "harness.authoring.commands:selftest_command",
    "gradescope-autograder": "harness.authoring.commands:gradescope_autograder_command",
}
INSTRUCTOR_COMMANDS = (
    "batch",
    "export",
    "image",
    "new",
    "skeleton",
    "bundle",
    "calibrate",
    "selftest",
    "gradescope-autograder",
)


def instructor_install() -> bool:
    """True in the instructor install; False in a candidate kit, whose harness has no authoring tier."""
    return (HARNESS_DIR / "authoring" / "__init__.py").is_file()


class DefaultCommandGroup(click.Group):
    """A group where ``grade PATH`` means ``grade run PATH``, with commands loaded when first used."""

    default_command = "run"

    def _lazy(self) -> dict[str, str]:
        if instructor_install():
            return LAZY_COMMANDS
        return {name: target for name, target in LAZY_COMMANDS.items() if name not in INSTRUCTOR_COMMANDS}

    def list_commands(self, context):
        return sorted({*super().list_commands(context), *self._lazy()})

    def get_command(self, context, name):
        if name in self._lazy():
            module, attribute = self._lazy()[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(context, name)

    def parse_args(self, context, arguments):
        names = set(self.list_commands(context))
        if arguments and arguments[0] not in names and arguments[0] not in ("--help", "-h", "--version"):
            first = arguments[0]
            if not first.startswith("-") and not Path(first).exists():
                close = difflib.get_close_matches(first, sorted(names), n=1, cutoff=0.6)
                if close:
                    raise click.UsageError(
                        f"{first!r} is neither a command nor a file or folder. Did you mean: grade {close[0]}?"
                    )
                if first in INSTRUCTOR_COMMANDS:
                    raise click.UsageError(
                        f"'grade {first}' is an instructor command; the candidate kit does not have it."
                    )
            arguments = [self.default_command, *arguments]
        return super().parse_args(context, arguments)

    def main(self, *args, **kwargs):
        """Run the command; map what ends it to an exit code in one place (see harness.errors)."""
        kwargs.pop("standalone_mode", None)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except (click.exceptions.Abort, KeyboardInterrupt):
            say(Console(stderr=True), "interrupted", "yellow", "")
            sys.exit(EXIT_INTERRUPTED)
        except click.ClickException as problem:
            problem.show()
            sys.exit(problem.exit_code)


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ml-grader")
def main():
    """Grade machine-learning exercises.

    \b
    Examples:
      grade exercises/cnn                  grade your filled-in exercise
      grade solutions/gan --include-hidden --json result.json
      grade list                           show the exercises
    """


@main.command("run")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--exercise", "exercise_slug", help="Exercise to grade against (default: from the folder name).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the data the checks generate.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Also write the result as JSON (a superset of Gradescope's results.json); - for standard output alone.",
)
@click.option(
    "--backend",
    type=click.Choice(BACKEND_CHOICES),
    default="auto",
    show_default=True,
    help="Where to run: docker (isolated), local (subprocesses) or auto (docker if available).",
)
@click.option("--include-hidden", is_flag=True, help="Also run the hidden checks (instructors).")
@click.option(
    "--data-secret",
    metavar="HEX",
    default=None,
    help="The secret the check data comes from, to repeat a run exactly (default: a fresh one).",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    default=None,
    help="Exit with code 1 when the score is below this percentage of the maximum (for CI).",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="NAME",
    help="Run only the checks of this function, or this check (test_...); repeatable.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show what your code printed in passing checks too.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no notes: the report only.")
@click.option("--watch", is_flag=True, help="Grade again on every save of the file, showing what changed.")
@exits_cleanly
def run_command(
    path, exercise_slug, seed, json_path, backend, include_hidden, data_secret, only, fail_under, verbose, quiet, watch
):
    """Grade the submission at PATH (an exercise folder or its .py file).

    \b
    Example:
      grade exercises/cnn --seed 3

    \b
    Exit codes: 0 graded (any score), 1 below --fail-under,
    2 bad usage or input, 3 grading error (not the submission's fault).
    """
    json_to_stdout = json_path is not None and str(json_path) == "-"
    console = Console(stderr=json_to_stdout)
    errors = Console(stderr=True, quiet=quiet)
    if not path.exists():
        raise BadInput(f"{path} does not exist")
    if watch:
        from harness.host.watch import watch_submission

        watch_submission(
            path=path,
            exercise_slug=exercise_slug,
            seed=seed,
            backend=backend,
            only=only,
            data_secret=data_secret,
            console=console,
        )
        return
    exercise = resolve_exercise(path, exercise_slug)
    if include_hidden and not exercise.has_hidden_checks and exercise.kit_hidden_checks:
        raise BadInput("--include-hidden: this kit does not hold the hidden checks; only instructors run them")
    secret = data_secret or new_salt()
    try:
        with RunProgress(errors) if not (quiet or json_to_stdout) else nullcontext() as progress:
            result = grade_submission(
                path=path,
                exercise=exercise.slug,
                seed=seed,
                backend=backend,
                include_hidden=include_hidden,
                data_secret=secret,
                only=only,
                notify=_notes(errors, verbose),
                on_progress=progress,
            )
    except GradeError:
        raise
    except ValueError as problem:  # a malformed --data-secret, say
        raise BadInput(str(problem)) from None
    if json_to_stdout:
        click.echo(result.dumps())
    elif json_path:  # first, so that nothing the result holds can keep it from being written
        json_path.write_text(result.dumps(), encoding="utf-8")
    if not json_to_stdout or verbose:
        render_result(
            result,
            console=console,
            verbose=verbose,
            hidden_points=0 if include_hidden else exercise.hidden_points,
            hidden_checks=0 if include_hidden else exercise.hidden_check_count,
        )
    if verbose:
        say(
            errors,
            "data secret: ",
            "dim",
            f"{secret} (grade again with --seed {seed} --data-secret {secret} to repeat this run exactly)",
        )
    if result.status is Status.ERROR:
        sys.exit(EXIT_GRADING_ERROR)
    if fail_under is not None and result.max_score and 100 * result.score / result.max_score < fail_under:
        sys.exit(EXIT_BELOW_THRESHOLD)
    sys.exit(EXIT_GRADED)


def _notes(console: Console, verbose: bool):
    """A notify callback: notes that must always be said, the rest only with -v."""

    def notify(message: str, always: bool = False) -> None:
        if always or verbose:
            say(console, "note: ", "yellow", message)

    return notify


@main.command("list")
@exits_cleanly
def list_command():
    """Show the exercises with their points and time budgets.

    \b
    Example:
      grade list
    """
    render_catalogue(all_exercises(), console=Console())


if __name__ == "__main__":
    main()
