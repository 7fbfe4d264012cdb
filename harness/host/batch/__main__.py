"""Run the batch commands without the ``grade`` entry point: ``python -m harness.host.batch batch DIR ...``."""

from harness.host.cli import main

if __name__ == "__main__":
    main(prog_name="python -m harness.host.batch")
