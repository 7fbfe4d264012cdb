"""Fixtures for tests against the real Docker engine and the grading image.

Without an engine or the image these tests skip and say why, unless
``GRADE_REQUIRE_DOCKER=1`` is set (as in CI): then they fail instead.

This folder must never get an ``__init__.py``: ``tests/`` is on ``sys.path``
(for ``tests/conftest.py``), and a regular package ``docker`` there would
shadow the Docker SDK.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from harness.host.backends.base import BackendUnavailable, RunRequest
from harness.project import load_exercise
from harness.wire.spec import new_salt

REQUIRE_VARIABLE = "GRADE_REQUIRE_DOCKER"


def _unavailable(reason: str):
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_VARIABLE}=1 but the docker backend cannot run: {reason}", pytrace=False)
    pytest.skip(f"docker backend unavailable: {reason}")


@pytest.fixture(scope="session")
def docker_backend():
    """The docker backend, or a skip (a failure under GRADE_REQUIRE_DOCKER=1) saying why there is none."""
    try:
        from harness.host.backends.docker import DockerBackend

        return DockerBackend()
    except (BackendUnavailable, ImportError) as error:
        _unavailable(str(error))


@pytest.fixture(autouse=True)
def no_container_left_behind(request):
    """Fail a docker test that leaves a grading container behind."""
    yield
    backend = request.node.funcargs.get("docker_backend")
    if backend is None:
        return
    from harness.host.backends.docker import RUN_LABEL

    left = [entry["Names"] for entry in backend.client.api.containers(all=True, filters={"label": RUN_LABEL})]
    assert not left, f"containers left behind: {left}"


def write_run(
    root: Path,
    *,
    checks: str,
    submission: str,
    hidden_checks: str | None = None,
    memory_mb: int = 512,
    call_deadline: float = 10,
    time_budget: float = 60,
    include_hidden: bool = False,
    grader_files: dict[str, str] | None = None,
    submission_files: dict[str, str] | None = None,
    seed: int = 7,
    wall: tuple[float, float] | None = None,
) -> RunRequest:
    """Write a tiny exercise (grader + submission ``attack.py``) under ``root`` and return its RunRequest."""
    grader = root / "grader"
    grader.mkdir(parents=True)
    (grader / "exercise.toml").write_text(
        textwrap.dedent(f"""\
        slug = "attack"
        title = "Containment"
        module = "attack"
        time_budget_seconds = {time_budget}
        call_deadline_seconds = {call_deadline}
        memory_limit_mb = {memory_mb}
        """)
        + (f"wall_factor = {wall[0]}\nwall_slack_seconds = {wall[1]}\n" if wall else "")
    )
    (grader / "test_public.py").write_text("import pytest\n\n" + textwrap.dedent(checks))
    if hidden_checks is not None:
        (grader / "test_hidden.py").write_text("import pytest\n\n" + textwrap.dedent(hidden_checks))
    folder = root / "submission"
    folder.mkdir()
    (folder / "attack.py").write_text(textwrap.dedent(submission))
    for base, files in ((grader, grader_files), (folder, submission_files)):
        for name, text in (files or {}).items():
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(text)
    return RunRequest(
        exercise=load_exercise(grader),
        submission_dir=folder,
        module_file="attack.py",
        seed=seed,
        include_hidden=include_hidden,
        data_secret=new_salt(),
    )


@pytest.fixture
def make_run(tmp_path):
    """Return a function that writes a tiny exercise into tmp_path and makes its RunRequest (see write_run)."""
    return lambda **options: write_run(tmp_path, **options)


@pytest.fixture(scope="session")
def run_writer():
    """Return write_run, for fixtures wider than one test."""
    return write_run
