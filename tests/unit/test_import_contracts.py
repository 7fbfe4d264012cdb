"""The trust tiers hold: the worker imports only plain-data code, the grader never the host, and so on.

The contracts are in pyproject.toml ([tool.importlinter]); import-linter reads every import,
those inside functions included.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    outcome = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert "broken" not in outcome.stdout.lower().replace("0 broken", "")
