"""``python -m harness.worker``: serve one submission (see :mod:`harness.worker.server`)."""

from harness.worker.server import main

main()
