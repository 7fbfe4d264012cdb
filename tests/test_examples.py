"""The example scripts in examples/: valid syntax, and every program and option they call exists."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.host.batch.cli import batch_command

SLURM = Path(__file__).resolve().parents[1] / "examples" / "cluster" / "slurm-dask.sbatch"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_slurm_job_script_parses_and_calls_what_exists():
    checked = subprocess.run(["bash", "-n", str(SLURM)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = SLURM.read_text()
    assert re.search(r"^#SBATCH --nodes=\d+$", text, re.MULTILINE) and "srun " in text
    for module in re.findall(r"-m (distributed\.cli\.\w+)", text):
        if importlib.util.find_spec("distributed") is not None:
            assert importlib.util.find_spec(module) is not None, module
    options = {option for parameter in batch_command.params for option in getattr(parameter, "opts", [])}
    used = set(re.findall(r"(--[a-z-]+) ", text.split("harness.host.cli batch", 1)[1].splitlines()[0]))
    assert used <= options, used - options
