"""``grade image build | tag | prune``: the container image the docker backend runs in."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from harness.host.exits import exits_cleanly
from harness.host.sinks import terminal_text


@click.group("image")
def image_group():
    """Build or name the container image the docker backend runs in."""


@image_group.command("build")
@click.option(
    "--offline/--registry",
    default=None,
    help="Base from debootstrap + docker import (offline), or python:3.11-slim from a registry. "
    "Default: registry only if that base is already present.",
)
@click.option(
    "--wheel-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Install from this ready folder of wheels instead of running pip wheel.",
)
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
        tag = build_image(
            offline=offline,
            wheel_dir=wheel_dir,
            force=force,
            progress=lambda message: console.print(terminal_text(message)),
        )
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
