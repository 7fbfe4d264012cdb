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
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from harness.errors import (
    EXIT_BAD_INPUT,
    EXIT_BELOW_THRESHOLD,
    EXIT_GRADED,
    EXIT_GRADING_ERROR,
    EXIT_INTERRUPTED,
    BadInput,
    GradeError,
)
from harness.host.grading import BACKEND_CHOICES, grade_submission, resolve_exercise
from harness.host.reports import render_catalogue, render_result
from harness.host.exits import exits_cleanly
from harness.host.sinks import say, terminal_text
from harness.project import all_exercises
from harness.wire.results import Status
from harness.wire.spec import new_salt


class DefaultCommandGroup(click.Group):
    """A group where ``grade PATH`` means ``grade run PATH``."""

    default_command = "run"

    def parse_args(self, context, arguments):
        if arguments and arguments[0] not in self.commands and arguments[0] not in ("--help", "-h", "--version"):
            first = arguments[0]
            if not first.startswith("-") and not Path(first).exists():
                close = difflib.get_close_matches(first, list(self.commands), n=1, cutoff=0.6)
                if close:
                    raise click.UsageError(f"{first!r} is neither a command nor a file or folder. "
                                           f"Did you mean: grade {close[0]}?")
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
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the result as JSON (a superset of Gradescope's results.json).")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True,
              help="Where to run: docker (isolated), local (subprocesses) or auto (docker if available).")
@click.option("--include-hidden", is_flag=True, help="Also run the hidden checks (instructors).")
@click.option("--data-secret", metavar="HEX", default=None,
              help="The secret the check data comes from, to repeat a run exactly (default: a fresh one).")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None,
              help="Exit with code 1 when the score is below this percentage of the maximum (for CI).")
@click.option("-v", "--verbose", is_flag=True, help="Show what your code printed in passing checks too.")
@exits_cleanly
def run_command(path, exercise_slug, seed, json_path, backend, include_hidden, data_secret, fail_under, verbose):
    """Grade the submission at PATH (an exercise folder or its .py file).

    \b
    Example:
      grade exercises/cnn --seed 3

    \b
    Exit codes: 0 graded (any score), 1 below --fail-under,
    2 bad usage or input, 3 grading error (not the submission's fault).
    """
    console = Console()
    errors = Console(stderr=True)
    if not path.exists():
        raise BadInput(f"{path} does not exist")
    exercise = resolve_exercise(path, exercise_slug)
    secret = data_secret or new_salt()
    try:
        result = grade_submission(path=path, exercise=exercise.slug, seed=seed, backend=backend,
                                  include_hidden=include_hidden, data_secret=secret,
                                  notify=_notes(errors, verbose))
    except ValueError as problem:  # a malformed --data-secret, say
        raise BadInput(str(problem)) from None
    if json_path:  # first, so that nothing the result holds can keep it from being written
        json_path.write_text(result.dumps(), encoding="utf-8")
    render_result(result, console=console, verbose=verbose,
                  hidden_points=0 if include_hidden else exercise.hidden_points,
                  hidden_checks=0 if include_hidden else exercise.hidden_check_count)
    if verbose:
        say(errors, "data secret: ", "dim", f"{secret} (grade again with --seed {seed} --data-secret {secret} "
            "to repeat this run exactly)")
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


@main.command("new")
@click.argument("slug")
@click.option("--title", help="The exercise's title (default: from SLUG).")
@exits_cleanly
def new_command(slug, title):
    """Scaffold a new exercise SLUG: solution, grader, mutant and README templates.

    The templates form a small working exercise that passes `grade selftest SLUG`;
    the command prints what to replace, step by step.

    \b
    Example:
      grade new lstm_forecasting --title "LSTM forecasting"
    """
    from harness.project import Project
    from harness.authoring.scaffold import create_exercise, next_steps

    files = create_exercise(slug=slug, project_root=Project.current().root, title=title)
    console = Console()
    for path in files:
        console.print(f"wrote {path}")
    console.print(next_steps(slug))


@main.command("skeleton")
@click.argument("slugs", nargs=-1)
@exits_cleanly
def skeleton_command(slugs):
    """Regenerate the skeleton and notebook of each exercise (all by default) from its solution.

    Regions between `# BEGIN SOLUTION: hint` and `# END SOLUTION` in solutions/SLUG/ become
    TODOs that raise NotImplementedError in exercises/SLUG/ (.py and .ipynb).

    \b
    Example:
      grade skeleton cnn gan
    """
    from harness.authoring.skeleton import generate
    from harness.project import Project

    for path in generate(Project.current().root, list(slugs) or None):
        click.echo(f"wrote {path}")


@main.command("bundle")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new folder to write the kit into.")
@exits_cleanly
def bundle_command(out):
    """Make the candidate kit: skeletons, notebooks, public checks and the harness.

    The kit never holds solutions, hidden checks or mutants.

    \b
    Example:
      grade bundle --out /tmp/kit && cd /tmp/kit && pip install -e .
    """
    from harness.authoring.bundle import build_kit

    files = build_kit(out=out)
    Console().print(f"wrote {len(files)} files to {out}")


@main.command("calibrate")
@click.argument("slug")
@click.option("--seeds", "seed_count", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="How many seeds (0..N-1) to grade the reference solution on.")
@click.option("--write", is_flag=True, help="Write graders/SLUG/CALIBRATION.md.")
@exits_cleanly
def calibrate_command(slug, seed_count, write):
    """Grade the reference solution of SLUG on many seeds and show what its checks measured.

    \b
    Example:
      grade calibrate cnn --seeds 20 --write
    """
    from harness.authoring.calibration import calibrate, write_calibration

    console = Console()
    calibration = calibrate(slug=slug, seeds=list(range(seed_count)), progress=console.print)
    console.print(calibration.to_markdown())
    if write:
        console.print(f"wrote {write_calibration(calibration)}")


@main.command("selftest")
@click.argument("slugs", nargs=-1)
@click.option("--seeds", "seed_count", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Grade the reference solution and each variant on seeds 0..N-1.")
@click.option("--mutant-seeds", type=click.IntRange(1, 1000), default=1, show_default=True,
              help="Grade each mutant on the first N of those seeds.")
@click.option("--argument-mutants/--no-argument-mutants", default=True, show_default=True,
              help="Also prove that ignoring any argument of the contract loses points.")
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="local", show_default=True)
@exits_cleanly
def selftest_command(slugs, seed_count, mutant_seeds, argument_mutants, backend):
    """Prove graders sound: correct solutions full marks, skeleton 0, each mutant loses exactly its checks.

    The reference solution and its variants (graders/SLUG/variants/) must score full marks
    on every seed; each mutant (graders/SLUG/mutants/) must fail exactly the checks it names;
    each argument mutant (a solution that ignores one parameter) must lose points.
    With no SLUGS, every exercise is tested. Exits 1 on any violation.

    \b
    Example:
      grade selftest cnn conv_layer --seeds 20 --mutant-seeds 3
    """
    from rich.table import Table

    from harness.authoring.selftest import selftest, summary_table

    console = Console()
    slugs = list(slugs) or [exercise.slug for exercise in all_exercises()]
    rows = selftest(slugs=slugs, seeds=list(range(seed_count)), backend=backend, mutant_seeds=mutant_seeds,
                    include_argument_mutants=argument_mutants,
                    progress=lambda message: console.print(Text(message, style="dim")))
    table = Table(title=f"grade selftest ({seed_count} seeds, {backend} backend)", show_lines=True)
    for column in ("Exercise", "Subject", "Expected", "Found", "OK", "s/run"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.exercise, row.subject, row.expected, row.found,
                      Text("yes", style="green") if row.ok else Text("NO", style="red"), f"{row.seconds:.1f}")
    console.print(table)
    summary = Table(title="Summary")
    for column in ("Exercise", "Mutants", "Argument mutants", "Variants", "Violations", "Flaky statistical checks"):
        summary.add_column(column)
    for line in summary_table(rows):
        summary.add_row(*(str(cell) for cell in line))
    console.print(summary)
    violations = sum(not row.ok for row in rows)
    console.print(f"{violations} of {len(rows)} proofs violated" if violations
                  else f"all {len(rows)} proofs hold")
    sys.exit(1 if violations else 0)


@main.group("image")
def image_group():
    """Build or name the container image the docker backend runs in."""


@image_group.command("build")
@click.option("--offline/--registry", default=None,
              help="Base from debootstrap + docker import (offline), or python:3.11-slim from a registry. "
                   "Default: registry only if that base is already present.")
@click.option("--wheel-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Install from this ready folder of wheels instead of running pip wheel.")
@click.option("--force", is_flag=True, help="Rebuild even if the image for the current sources exists.")
@exits_cleanly
def image_build_command(offline, wheel_dir, force):
    """Build the grading image from the pinned dependencies (reused when nothing changed).

    \b
    Example:
      grade image build --offline
    """
    import docker.errors

    from harness.host.image import ImageBuildError, build_image

    console = Console()
    try:
        tag = build_image(offline=offline, wheel_dir=wheel_dir, force=force,
                          progress=lambda message: console.print(terminal_text(message)))
    except docker.errors.DockerException as problem:
        raise ImageBuildError(f"image build failed: {problem}") from None
    console.print(terminal_text(f"image ready: {tag}"))


@image_group.command("tag")
@exits_cleanly
def image_tag_command():
    """Print the image tag the current sources ask for.

    \b
    Example:
      grade image tag
    """
    from harness.host.image import image_tag

    click.echo(image_tag())


@image_group.command("prune")
@exits_cleanly
def image_prune_command():
    """Remove grading images of other tags (older pins or recipes).

    \b
    Example:
      grade image prune
    """
    from harness.host.image import prune_images

    for tag in prune_images():
        click.echo(f"removed {tag}")


from harness.host.batch.cli import batch_command, export_command  # noqa: E402 - registered below the commands

main.add_command(batch_command, "batch")
main.add_command(export_command, "export")


if __name__ == "__main__":
    main()
