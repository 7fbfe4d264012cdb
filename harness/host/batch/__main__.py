"""Run the batch commands without the ``grade`` entry point: ``python -m harness.host.batch batch DIR ...``."""

import click

from harness.host.batch.cli import batch_command, export_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def commands():
    """Grade a batch of candidates, or export a gradebook.

    \b
    Example:
      python -m harness.host.batch batch submissions/ --gradebook cohort.sqlite -j 2
    """


commands.add_command(batch_command, "batch")
commands.add_command(export_command, "export")

if __name__ == "__main__":
    commands(prog_name="python -m harness.host.batch")
