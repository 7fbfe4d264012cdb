"""cleanup_stale_containers is best effort: containers other harness processes remove meanwhile never fail a run."""

from __future__ import annotations

import socket
import subprocess
import time

import docker.errors
import pytest

from harness.host.backends.docker import DEADLINE_LABEL, OWNER_LABEL, RUN_LABEL, cleanup_stale_containers


class _RacingApi:
    """The low-level API of an engine where another process removes a container right after it is listed."""

    def __init__(self, entries: list[dict]):
        self.entries = entries
        self.removed: list[str] = []

    def containers(self, *, all: bool, filters: dict) -> list[dict]:
        assert filters == {"label": RUN_LABEL}
        return self.entries

    def remove_container(self, name: str, *, force: bool, v: bool) -> None:
        if name == "ml-grader-gone":
            raise docker.errors.NotFound(f"No such container: {name}")
        self.removed.append(name)


class _Client:
    """Only the low-level API: the high-level containers.list(), which inspects one by one, must not be used."""

    def __init__(self, api):
        self.api = api


def _entry(name: str, owner_pid: int, deadline: float) -> dict:
    labels = {RUN_LABEL: "1", OWNER_LABEL: f"{socket.gethostname()}:{owner_pid}", DEADLINE_LABEL: str(int(deadline))}
    return {"Id": name.encode().hex(), "Names": [f"/{name}"], "Labels": labels}


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_removed_meanwhile_and_live_ones_are_left_alone(dead_pid):
    import os

    far = time.time() + 3600
    api = _RacingApi(
        [
            _entry("ml-grader-gone", dead_pid, far),  # an orphan another process removes first
            _entry("ml-grader-orphan", dead_pid, far),
            _entry("ml-grader-live", os.getpid(), far),
            _entry("ml-grader-expired", os.getpid(), time.time() - 7200),
        ]
    )
    removed = cleanup_stale_containers(_Client(api))
    assert api.removed == ["ml-grader-orphan", "ml-grader-expired"]
    assert removed == ["ml-grader-gone", "ml-grader-orphan", "ml-grader-expired"]  # all gone, none raised


def test_an_engine_that_fails_to_list_removes_nothing_and_raises_nothing():
    class _Failing:
        def containers(self, **_):
            raise docker.errors.APIError("the engine is restarting")

    assert cleanup_stale_containers(_Client(_Failing())) == []
