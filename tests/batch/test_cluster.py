"""Batches on a real Dask cluster: a `dask scheduler` and `dask worker` processes on 127.0.0.1.

No LocalCluster in this process: the scheduler and each worker are separate OS processes, started
with the project on their PYTHONPATH, as on another machine.  The faults are real too: a worker
killed with SIGKILL mid-batch, the client killed with SIGKILL, the scheduler stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.host.batch.cli import batch_command
from harness.host.batch.gradebook import Gradebook

from .batch_cohort import FIXTURE_GRADERS, FULL

pytestmark = pytest.mark.integration
distributed = pytest.importorskip("distributed", reason="pip install 'ml-grader[cluster]'")

ROOT = Path(__file__).resolve().parents[2]
DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
SLOW_CANDIDATES = {"infinite_loop", "memory_hog"}  # seconds of budget each: left out of the 20


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_environment(graders: Path = FIXTURE_GRADERS) -> dict:
    return {
        **os.environ,
        "GRADE_GRADERS_DIR": str(graders),
        "PYTHONPATH": str(ROOT),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2",
    }


class Cluster:
    """A scheduler and its workers, each its own process."""

    def __init__(self, tmp: Path, workers: int = 2):
        self.tmp, self.port = tmp, free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.start(
            "scheduler",
            [*DASK, "--host", "127.0.0.1", "--port", str(self.port), "--dashboard-address", f"127.0.0.1:{free_port()}"],
        )
        for number in range(workers):
            self.add_worker(f"worker-{number}")

    def start(self, name: str, command: list[str], graders: Path = FIXTURE_GRADERS) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed when the process ends
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=cluster_environment(graders), start_new_session=True
        )
        self.processes[name] = process
        return process

    def add_worker(self, name: str, graders: Path = FIXTURE_GRADERS) -> None:
        self.start(
            name,
            [
                *WORKER,
                self.address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--name",
                name,
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            graders,
        )

    def client(self):
        return distributed.Client(self.address, timeout=30)

    def wait_for_workers(self, count: int, timeout: float = 90) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=timeout)

    def stop(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def close(self) -> None:
        for name in list(self.processes):
            try:
                self.stop(name)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        running.wait_for_workers(2)
        yield running
    finally:
        running.close()


def _secret(gradebook: Path) -> str:
    return json.loads(Gradebook(gradebook).secrets_path.read_text())["data_secret"]


def _cohort(root: Path, count: int) -> dict[str, float]:
    """``count`` candidates: full marks and a partial one in turn."""
    expected = {}
    for number in range(count):
        folder = root / f"candidate_{number:02d}"
        folder.mkdir(parents=True)
        partial = number % 2 == 1
        (folder / "probe.py").write_text(
            FULL.replace("return a + b", "return a - b")
            if partial
            else FULL.replace("import numpy as np", f"import numpy as np  # {number}")
        )
        expected[folder.name] = 3.0 if partial else 6.0
    return expected


def _errors(gradebook: Path) -> dict:
    """Why each run that ended in a grading error did, for the message of a failed comparison."""
    return {entry.candidate: entry.result.error for entry in Gradebook(gradebook).entries() if entry.result.error}


def _outcomes(gradebook: Path) -> dict:
    return {
        (entry.candidate, entry.exercise): (
            entry.result.score,
            [(check.check_id, check.outcome.value) for check in entry.result.checks],
        )
        for entry in Gradebook(gradebook).entries()
    }


def test_a_cohort_graded_on_the_cluster_equals_the_one_graded_locally(cluster, graded_cohort, tmp_path, probe_graders):
    names = sorted(set(graded_cohort.expected) - SLOW_CANDIDATES)[:20]
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in names:
        source = next(path for path in graded_cohort.submissions.iterdir() if path.name in (name, f"{name}.zip"))
        if source.is_dir():
            shutil.copytree(source, submissions / source.name, symlinks=True)
        else:
            shutil.copy2(source, submissions / source.name)
    gradebook = tmp_path / "cluster.sqlite"
    outcome = CliRunner().invoke(
        batch_command,
        [
            str(submissions),
            "--gradebook",
            str(gradebook),
            "--cluster",
            cluster.address,
            "--data-secret",
            _secret(graded_cohort.gradebook),
        ],
    )
    assert outcome.exit_code == 0, outcome.output + repr(outcome.exception)
    assert "dashboard at http://" in outcome.output and "backend" in outcome.output
    local = {key: value for key, value in _outcomes(graded_cohort.gradebook).items() if key[0] in names}
    assert len(local) == 20 and _outcomes(gradebook) == local, (
        f"errors on the cluster: {_errors(gradebook)}; locally: {_errors(graded_cohort.gradebook)}"
    )
    log = Gradebook(gradebook).gradings()
    assert sorted(row[0] for row in log) == sorted(names), "each result arrived exactly once"
    again = CliRunner().invoke(
        batch_command, [str(submissions), "--gradebook", str(gradebook), "--cluster", cluster.address]
    )
    assert again.exit_code == 0 and "graded 0, skipped 20" in " ".join(again.output.split())


def test_a_worker_killed_mid_batch_loses_no_result_and_duplicates_none(cluster, tmp_path, probe_graders):
    expected = _cohort(tmp_path / "submissions", 8)
    gradebook = tmp_path / "gradebook.sqlite"
    command = [
        sys.executable,
        "-m",
        "harness.host.cli",
        "batch",
        str(tmp_path / "submissions"),
        "--gradebook",
        str(gradebook),
        "--cluster",
        cluster.address,
    ]
    batch = subprocess.Popen(
        command, env=cluster_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with cluster.client() as client:
        deadline = time.monotonic() + 120
        while not any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        busy = next(address for address, keys in client.processing().items() if keys)
        pid = client.run(os.getpid, workers=[busy])[busy]
    os.kill(pid, signal.SIGKILL)  # the worker process with a task on it; its nanny starts another
    output, _ = batch.communicate(timeout=600)
    assert batch.returncode == 0, output
    scores = {entry.candidate: entry.result.score for entry in Gradebook(gradebook).entries()}
    assert scores == expected, output
    assert sorted(row[0] for row in Gradebook(gradebook).gradings()) == sorted(expected), "exactly once"
    cluster.wait_for_workers(2)


def test_a_client_killed_with_sigkill_resumes_with_what_is_missing(cluster, tmp_path, probe_graders):
    expected = _cohort(tmp_path / "submissions", 8)
    gradebook = tmp_path / "gradebook.sqlite"
    command = [
        sys.executable,
        "-m",
        "harness.host.cli",
        "batch",
        str(tmp_path / "submissions"),
        "--gradebook",
        str(gradebook),
        "--cluster",
        cluster.address,
    ]
    batch = subprocess.Popen(command, env=cluster_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    recorded = 0
    while time.monotonic() < deadline and batch.poll() is None:
        if gradebook.exists():
            with closing(sqlite3.connect(gradebook)) as connection:
                try:
                    recorded = connection.execute("SELECT COUNT(*) FROM results").fetchone()[0]
                except sqlite3.OperationalError:
                    recorded = 0
            if recorded >= 2:
                break
        time.sleep(0.2)
    batch.kill()
    batch.wait()
    before = len(Gradebook(gradebook).entries())
    assert 2 <= before < len(expected)
    rerun = subprocess.run(command, env=cluster_environment(), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"graded {len(expected) - before}, skipped {before}" in " ".join(rerun.stdout.split())
    assert {entry.candidate: entry.result.score for entry in Gradebook(gradebook).entries()} == expected
    assert sorted(row[0] for row in Gradebook(gradebook).gradings()) == sorted(expected), "nothing graded twice"


def test_a_worker_with_another_grader_is_refused_by_address(cluster, tmp_path, probe_graders):
    changed = tmp_path / "graders"
    shutil.copytree(FIXTURE_GRADERS, changed)
    (changed / "probe" / "test_public.py").write_text(
        (changed / "probe" / "test_public.py").read_text() + "\n# a newer grader\n"
    )
    cluster.add_worker("stranger", graders=changed)
    try:
        cluster.wait_for_workers(3)
        expected = _cohort(tmp_path / "submissions", 4)
        gradebook = tmp_path / "gradebook.sqlite"
        outcome = CliRunner().invoke(
            batch_command, [str(tmp_path / "submissions"), "--gradebook", str(gradebook), "--cluster", cluster.address]
        )
        assert outcome.exit_code == 0, outcome.output
        text = " ".join(outcome.output.split())
        assert "refused worker tcp://127.0.0.1:" in text and "grader for probe differs" in text
        assert {entry.candidate: entry.result.score for entry in Gradebook(gradebook).entries()} == expected
    finally:
        cluster.stop("stranger")


def test_the_scheduler_stopped_mid_batch_ends_the_batch_cleanly_with_exit_code_4(tmp_path, probe_graders):
    (tmp_path / "own").mkdir()
    own = Cluster(tmp_path / "own", workers=1)
    try:
        own.wait_for_workers(1)
        expected = _cohort(tmp_path / "submissions", 6)
        gradebook = tmp_path / "gradebook.sqlite"
        command = [
            sys.executable,
            "-m",
            "harness.host.cli",
            "batch",
            str(tmp_path / "submissions"),
            "--gradebook",
            str(gradebook),
            "--cluster",
            own.address,
        ]
        batch = subprocess.Popen(
            command, env=cluster_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (gradebook.exists() and Gradebook(gradebook).gradings()):
            time.sleep(0.2)
        own.stop("scheduler")
        output, _ = batch.communicate(timeout=180)
        assert batch.returncode == 4, output
        assert "lost the Dask scheduler" in " ".join(output.split()) and "Traceback" not in output
        assert 1 <= len(Gradebook(gradebook).entries()) < len(expected)
    finally:
        own.close()
