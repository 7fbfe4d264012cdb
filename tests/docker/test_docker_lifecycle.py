"""Containers are removed after Ctrl-C and after a crashed harness; unsafe submissions never reach one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from harness.host.backends import base
from harness.host.backends.docker import DEADLINE_LABEL, OWNER_LABEL, RUN_LABEL, cleanup_stale_containers, stage_run

HANGING_GRADER = """
    import time

    @pytest.mark.points(1)
    def test_hangs(submission):
        time.sleep(10**6)
"""


@pytest.mark.docker
def test_ctrl_c_removes_the_container(docker_backend, make_run, monkeypatch):
    monkeypatch.setattr(base, "STARTUP_MARGIN_SECONDS", 60.0)
    # Ctrl-C raises KeyboardInterrupt here even when the suite runs in the background, where SIGINT is ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request = make_run(submission="def alive():\n    return 1\n", checks=HANGING_GRADER)
    seen_running = []

    def interrupt():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not seen_running:
            # The low-level listing: containers.list() inspects each one and fails on one removed meanwhile.
            seen_running.extend(docker_backend.client.api.containers(filters={"label": RUN_LABEL}))
            time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            docker_backend.run(request)
    finally:
        signal.signal(signal.SIGINT, previous)
    timer.join()
    assert seen_running, "the run's container was never seen running"


@pytest.mark.docker
def test_containers_of_a_crashed_harness_are_cleaned_up(docker_backend):
    client = docker_backend.client
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    far = str(int(time.time() + 3600))
    orphan = client.containers.create(
        docker_backend.image,
        command=["sleep", "300"],
        network_mode="none",
        labels={RUN_LABEL: "1", OWNER_LABEL: f"{host}:{dead.pid}", DEADLINE_LABEL: far},
    )
    ours = client.containers.create(
        docker_backend.image,
        command=["sleep", "300"],
        network_mode="none",
        labels={RUN_LABEL: "1", OWNER_LABEL: f"{host}:{os.getpid()}", DEADLINE_LABEL: far},
    )
    try:
        orphan.start()
        removed = cleanup_stale_containers(client)
        assert removed == [orphan.name]
        listed = client.api.containers(all=True, filters={"label": RUN_LABEL})
        names = [name.lstrip("/") for entry in listed for name in entry["Names"]]
        assert names == [ours.name], "a live harness's container must be kept, the orphan removed"
    finally:
        for container in (orphan, ours):
            try:
                container.remove(force=True)
            except Exception:
                pass


@pytest.mark.docker
def test_symlink_out_of_the_submission_never_reaches_a_container(docker_backend, make_run):
    request = make_run(submission="def alive():\n    return 1\n", checks="")
    (request.submission_dir / "passwords.txt").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="symbolic link"):
        docker_backend.run(request)


def test_staging_refuses_a_symlink_to_etc_passwd(tmp_path):
    staging = pytest.importorskip("harness.host.staging")
    source = tmp_path / "handed-in"
    source.mkdir()
    (source / "attack.py").write_text("def alive():\n    return 1\n")
    (source / "data.txt").symlink_to("/etc/passwd")
    with pytest.raises(staging.UnsafeSubmission, match="/etc/passwd"):
        staging.stage_submission(source, tmp_path / "staged", module="attack.py")
    assert not (tmp_path / "staged" / "data.txt").exists()


def test_grader_copy_leaves_out_solutions_mutants_and_hidden_checks(make_run, tmp_path):
    request = make_run(
        submission="def alive():\n    return 1\n",
        checks="",
        hidden_checks="",
        grader_files={
            "solution.py": "x",
            "mutants/wrong.toml": "x",
            "helpers.py": "x",
            "data/cases.json": "{}",
            "variants/other.toml": "x",
            "CALIBRATION.md": "x",
            "kit/helpers.py": "x",
        },
    )
    for include_hidden, expected in ((False, set()), (True, {"test_hidden.py"})):
        staging = tmp_path / f"staging-{include_hidden}"
        staging.mkdir()
        mounts = stage_run(base.RunRequest(**{**request.__dict__, "include_hidden": include_hidden}), staging)
        grader = next(host for host, target in mounts.items() if target["bind"] == "/grader")
        copied = {path.relative_to(grader).as_posix() for path in Path(grader).rglob("*")}
        assert copied == {"exercise.toml", "test_public.py", "helpers.py", "data", "data/cases.json"} | expected
        assert Path(grader).stat().st_mode & 0o777 == (0o700 if os.getgid() == 0 else 0o750)
        results = next(host for host, target in mounts.items() if target["bind"] == "/results")
        assert Path(results).stat().st_mode & 0o007 == 0, "others must not enter the results folder"
