"""The local backend keeps what its README promises: no planted modules, private folders, no survivors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.grader.containment import DescendantSet, become_subreaper
from harness.host.backends.local import others_can_reach
from harness.host.grading import grade_submission

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

SCENARIOS = Path(__file__).parent / "scenarios"
FULL = (SCENARIOS / "scores_full_marks" / "probe.py").read_text()
PLANTED = """
import pathlib
pathlib.Path({marker!r}).write_text("a planted module ran")
raise SystemExit("planted")
"""


def test_a_planted_harness_package_in_tmp_or_the_working_folder_never_runs(probe_graders, tmp_path, monkeypatch):
    shared_tmp = tmp_path / "shared-tmp"
    marker = tmp_path / "planted-ran"
    for folder in (shared_tmp / "harness", shared_tmp / "harness" / "worker", tmp_path / "cwd" / "harness"):
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text(PLANTED.format(marker=str(marker)))
        (folder / "__main__.py").write_text(PLANTED.format(marker=str(marker)))
    monkeypatch.setenv("TMPDIR", str(shared_tmp))  # where the grader makes the worker's folder
    monkeypatch.chdir(tmp_path / "cwd")
    result = grade_submission(
        path=SCENARIOS / "scores_full_marks", exercise="probe", backend="local", include_hidden=True
    )
    assert result.score == result.max_score, [check.output for check in result.checks]
    assert not marker.exists()


def test_the_worker_works_in_a_fresh_private_folder(probe_graders, tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    report = tmp_path / "where.txt"
    (folder / "probe.py").write_text(
        FULL
        + f"""
import os, stat
_mode = stat.S_IMODE(os.stat(os.getcwd()).st_mode)
open({str(report)!r}, "w").write(f"{{os.getcwd()}} {{_mode:o}} {{os.environ['HOME']}}")
"""
    )
    result = grade_submission(path=folder, exercise="probe", backend="local")
    assert result.score == result.max_score
    where, mode, home = report.read_text().split()
    assert mode == "700" and home == where and Path(where).name.startswith("ml-grader-worker-")
    assert not Path(where).exists(), "the private folder is removed with the worker"


def test_descendants_that_call_setsid_are_found_and_killed():
    become_subreaper()
    daemon = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", daemon], start_new_session=True)
    processes = DescendantSet(worker.pid)
    try:
        deadline = time.monotonic() + 10
        while len(processes.members()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        members = processes.members()
        assert len(members) >= 3, "the worker, and the daemon that left its session"
        processes.close()
        worker.wait(timeout=10)
        survivors = [
            pid
            for pid in members
            if Path(f"/proc/{pid}").exists()
            and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        ]
        assert not survivors
    finally:
        worker.kill()


def test_others_can_reach_follows_every_folder_on_the_way():
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own tmp folders are private: start from /tmp
    try:
        _check_reachability(root)
    finally:
        shutil.rmtree(root)


def _check_reachability(root: Path) -> None:
    locked = root / "locked"
    (locked / "inner").mkdir(parents=True)
    target = locked / "inner" / "module.py"
    target.write_text("x = 1\n")
    os.chmod(root, 0o755)
    os.chmod(locked, 0o755)
    os.chmod(locked / "inner", 0o755)
    os.chmod(target, 0o644)
    assert others_can_reach(target)
    os.chmod(locked, 0o700)
    assert not others_can_reach(target)
    os.chmod(locked, 0o755)
    os.chmod(target, 0o600)
    assert not others_can_reach(target)
    assert stat.S_IMODE(os.stat(locked).st_mode) == 0o755
