"""The instructors' commands: new, skeleton, bundle, calibrate and selftest.

They exist only in the instructor install: the candidate kit has no authoring tier, and
``grade`` lists these commands only where this module can be imported (see
:class:`harness.host.cli.DefaultCommandGroup`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from harness.host.backends import BACKEND_CHOICES
from harness.host.exits import exits_cleanly
from harness.project import all_exercises


@click.command("new")
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
    from harness.authoring.scaffold import create_exercise, next_steps
    from harness.project import Project

    files = create_exercise(slug=slug, project_root=Project.current().root, title=title)
    console = Console()
    for path in files:
        console.print(f"wrote {path}")
    console.print(next_steps(slug))


@click.command("skeleton")
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


@click.command("bundle")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="A new folder to write the kit into.",
)
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


JOBS_OPTION = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Gradings at a time. Scores do not depend on it: budgets count each run's own CPU time.",
)


@click.command("calibrate")
@click.argument("slug")
@click.option(
    "--seeds",
    "seed_count",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="How many seeds (0..N-1) to grade the reference solution on.",
)
@click.option("--write", is_flag=True, help="Write graders/SLUG/CALIBRATION.md.")
@JOBS_OPTION
@exits_cleanly
def calibrate_command(slug, seed_count, write, jobs):
    """Grade the reference solution of SLUG on many seeds and show what its checks measured.

    \b
    Example:
      grade calibrate cnn --seeds 20 --write
    """
    from harness.authoring.calibration import calibrate, write_calibration

    console = Console()
    calibration = calibrate(slug=slug, seeds=list(range(seed_count)), jobs=jobs, progress=console.print)
    console.print(calibration.to_markdown())
    if write:
        console.print(f"wrote {write_calibration(calibration)}")


@click.command("selftest")
@click.argument("slugs", nargs=-1)
@click.option(
    "--seeds",
    "seed_count",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Grade the reference solution and each variant on seeds 0..N-1.",
)
@click.option(
    "--mutant-seeds",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Grade each mutant on the first N of those seeds.",
)
@click.option(
    "--argument-mutants/--no-argument-mutants",
    default=True,
    show_default=True,
    help="Also prove that ignoring any argument of the contract loses points.",
)
@click.option("--backend", type=click.Choice(BACKEND_CHOICES), default="local", show_default=True)
@JOBS_OPTION
@click.option(
    "--write-calibration",
    "write_calibration_files",
    is_flag=True,
    help="Also write each exercise's CALIBRATION.md from the correct solutions' runs (as grade calibrate --write).",
)
@exits_cleanly
def selftest_command(slugs, seed_count, mutant_seeds, argument_mutants, backend, jobs, write_calibration_files):
    """Prove graders sound: correct solutions full marks, skeleton 0, each mutant loses exactly its checks.

    The reference solution and its variants (graders/SLUG/variants/) must score full marks
    on every seed; each mutant (graders/SLUG/mutants/) must fail exactly the checks it names;
    each argument mutant (a solution that ignores one parameter) must lose points.
    With no SLUGS, every exercise is tested. Exits 1 on any violation.

    \b
    Examples:
      grade selftest cnn conv_layer --seeds 20 --mutant-seeds 3
      grade selftest --seeds 20 --jobs 2 --write-calibration
    """
    from rich.table import Table

    from harness.authoring.calibration import write_calibration
    from harness.authoring.selftest import selftest, summary_table

    def written(calibration) -> None:
        if write_calibration_files:
            console.print(f"wrote {write_calibration(calibration)}")

    console = Console()
    slugs = list(slugs) or [exercise.slug for exercise in all_exercises()]
    rows = selftest(
        slugs=slugs,
        seeds=list(range(seed_count)),
        backend=backend,
        mutant_seeds=mutant_seeds,
        include_argument_mutants=argument_mutants,
        jobs=jobs,
        on_calibration=written,
        progress=lambda message: console.print(Text(message, style="dim")),
    )
    table = Table(title=f"grade selftest ({seed_count} seeds, {backend} backend)", show_lines=True)
    for column in ("Exercise", "Subject", "Expected", "Found", "OK", "s/run"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.exercise,
            row.subject,
            row.expected,
            row.found,
            Text("yes", style="green") if row.ok else Text("NO", style="red"),
            f"{row.seconds:.1f}",
        )
    console.print(table)
    summary = Table(title="Summary")
    for column in ("Exercise", "Mutants", "Argument mutants", "Variants", "Violations", "Flaky statistical checks"):
        summary.add_column(column)
    for line in summary_table(rows):
        summary.add_row(*(str(cell) for cell in line))
    console.print(summary)
    violations = sum(not row.ok for row in rows)
    console.print(f"{violations} of {len(rows)} proofs violated" if violations else f"all {len(rows)} proofs hold")
    sys.exit(1 if violations else 0)


@click.command("gradescope-autograder")
@click.option(
    "--exercises",
    "exercise_names",
    metavar="SLUG,SLUG",
    required=True,
    help="The exercises a submission holds (one Gradescope assignment).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The zip to write, e.g. autograder.zip.",
)
@click.option(
    "--python",
    "python",
    metavar="X.Y",
    default=None,
    help="Python of the Gradescope base image (default: this one's; Ubuntu 24.04 images have 3.12).",
)
@click.option(
    "--from-pypi", is_flag=True, help="Leave the wheels out: setup.sh installs the same pins from PyPI (a smaller zip)."
)
@click.option(
    "--wheel-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Take the wheels from this folder instead of PyPI (e.g. the image build's wheel cache).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the check data (with the secret).")
@exits_cleanly
def gradescope_autograder_command(exercise_names, out, python, from_pypi, wheel_dir, seed):
    """Write a Gradescope autograder zip that grades submissions with this grader.

    Upload the zip as the autograder of a Gradescope programming assignment. setup.sh
    installs the pinned dependencies (from the wheels in the zip); run_autograder grades
    /autograder/submission, hidden checks included, and writes results.json. Students
    upload the module or notebook (or a folder named after the exercise).

    \b
    Example:
      grade gradescope-autograder --exercises cnn --python 3.12 --out autograder.zip
    """
    from harness.authoring.gradescope_autograder import build_autograder

    names = [name.strip() for name in exercise_names.split(",") if name.strip()]
    path = build_autograder(
        exercises=names, out=out, python=python, from_pypi=from_pypi, wheel_dir=wheel_dir, seed=seed
    )
    Console().print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB) for {', '.join(names)}")
