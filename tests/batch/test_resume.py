"""A batch killed with SIGKILL part-way resumes with nothing lost and nothing graded twice."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from harness.host.batch.gradebook import Gradebook

from .batch_cohort import FIXTURE_GRADERS, TESTS

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast


PROJECT_ROOT = TESTS.parent
SUBSET = (
    "full_folder_1",
    "full_loose_1",
    "skeleton_1",
    "partial_add_subtracts",
    "partial_count_returns_float",
    "zip_slip.zip",
    "zip_corrupt.zip",
    "no_probe",
)
QUICK_TASKS = 3  # the refused zips and the missing exercise are recorded before any grading starts


def _recorded(gradebook) -> int:
    if not gradebook.exists():
        return 0
    try:
        with sqlite3.connect(gradebook, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def _essence(entry) -> tuple:
    """What must be equal between two gradebooks: keys, sources, scores and every check's outcome."""
    result = entry.result
    return (
        entry.key,
        entry.source,
        result.score,
        result.max_score,
        result.status,
        tuple((check.check_id, check.outcome, check.score) for check in result.checks),
    )


def test_killed_batch_resumes_without_loss_or_double_grading(graded_cohort, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in SUBSET:
        source = graded_cohort.submissions / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, submissions / name)
    gradebook = tmp_path / "gradebook.sqlite"
    (tmp_path / "tmp").mkdir()
    environment = {
        **os.environ,
        "GRADE_GRADERS_DIR": str(FIXTURE_GRADERS),
        "TMPDIR": str(tmp_path / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "COLUMNS": "200",
    }
    command = [
        sys.executable,
        "-m",
        "harness.host.batch",
        "batch",
        str(submissions),
        "--gradebook",
        str(gradebook),
        "-j",
        "1",
        "--backend",
        "local",
    ]

    batch = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while _recorded(gradebook) < QUICK_TASKS + 2 and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait()
    done_before_kill = _recorded(gradebook)
    assert QUICK_TASKS + 2 <= done_before_kill < len(SUBSET), "killed part-way"

    resumed = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = " ".join(resumed.stdout.split())
    assert f"graded {len(SUBSET) - done_before_kill}, skipped {done_before_kill}" in summary

    book = Gradebook(gradebook, create=False)
    writes = [(candidate, exercise) for candidate, exercise, _ in book.gradings()]
    assert len(writes) == len(set(writes)) == len(SUBSET), "every task recorded exactly once"
    # the uninterrupted -j 2 run of the cohort graded these same files
    uninterrupted = {
        entry.candidate: _essence(entry)
        for entry in Gradebook(graded_cohort.gradebook).entries()
        if entry.candidate in {name.removesuffix(".zip") for name in SUBSET}
    }
    assert {entry.candidate: _essence(entry) for entry in book.entries()} == uninterrupted
