"""The Gradescope autograder zip, run as Gradescope runs it, in a container laid out like Gradescope's.

The container is made from the offline Debian base of the grading image (Python 3.11, no packages of
ours) with no network: ``setup.sh`` must install everything from the zip's wheels.  Then, for each
submission put in ``/autograder/submission``, ``/autograder/run_autograder`` must write a
``results.json`` that Gradescope's documented format accepts, with the right score.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from conftest import _unavailable

TESTS = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((TESTS / "fixtures" / "gradescope" / "results.schema.json").read_text())
FULL = (TESTS / "scenarios" / "scores_full_marks" / "probe.py").read_text()
SECRET = "5eed" * 8

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _run(container, command: str) -> str:
    code, output = container.exec_run(["bash", "-c", command], user="root")
    text = output.decode("utf-8", "replace")
    assert code == 0, f"{command} failed ({code}):\n{text[-3000:]}"
    return text


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    from harness.authoring.gradescope_autograder import build_autograder
    from harness.host.image import cache_dir, make_wheels

    wheels = cache_dir() / "wheels"
    if not any(wheels.glob("psutil-*.whl")):
        make_wheels(progress=lambda message: None)
    out = tmp_path_factory.mktemp("autograder") / "autograder.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADE_GRADERS_DIR", str(TESTS / "fixtures" / "graders"))
        return build_autograder(exercises=["probe"], out=out, wheel_dir=wheels, data_secret=SECRET)


@pytest.fixture(scope="module")
def gradescope(docker_backend, autograder):
    """A container laid out like Gradescope's, the autograder set up in it."""
    from harness.host.image import base_tag

    client = docker_backend.client
    base = base_tag()
    if not client.images.list(name=base):
        _unavailable(f"the offline base image {base} is missing (grade image build --offline makes it)")
    container = client.containers.run(
        base,
        ["sleep", "infinity"],
        detach=True,
        network_mode="none",
        labels={"ml-grader.test": "gradescope"},
        mem_limit="4g",
    )
    try:
        with zipfile.ZipFile(autograder) as archive:
            files = {
                f"source/{info.filename}": (archive.read(info), (info.external_attr >> 16) or 0o644)
                for info in archive.infolist()
                if not info.is_dir()
            }
        _run(container, "mkdir -p /autograder/submission /autograder/results")
        container.put_archive("/autograder", _tar(files))
        _run(container, "cp /autograder/source/run_autograder /autograder/run_autograder")
        setup = _run(container, "cd /autograder/source && bash ./setup.sh")
        assert "setup.sh: ready" in setup
        yield container
    finally:
        container.remove(force=True)


def grade(container, files: dict[str, str]) -> dict:
    _run(container, "rm -rf /autograder/submission /autograder/results && mkdir -p /autograder/submission")
    container.put_archive(
        "/autograder/submission", _tar({name: (text.encode(), 0o644) for name, text in files.items()})
    )
    _run(container, "/autograder/run_autograder")
    text = _run(container, "cat /autograder/results/results.json")
    results = json.loads(text)
    jsonschema.validate(results, SCHEMA)
    assert SECRET not in text, "the data secret reached the results"
    return results


def test_a_correct_submission_scores_full_marks_with_hidden_checks(gradescope):
    results = grade(gradescope, {"probe.py": FULL})
    assert results["score"] == 6.0
    assert len(results["tests"]) == 5 and all(test["status"] == "passed" for test in results["tests"])
    assert {test["visibility"] for test in results["tests"]} == {"visible", "after_published"}


def test_a_partial_submission_loses_exactly_its_checks(gradescope):
    results = grade(gradescope, {"probe.py": FULL.replace("return a + b", "return a - b")})
    assert results["score"] == 3.0
    failed = sorted(test["name"] for test in results["tests"] if test["status"] == "failed")
    assert len(failed) == 2


def test_broken_and_hostile_submissions_get_a_result_that_awards_nothing_they_did_not_earn(gradescope):
    broken = grade(gradescope, {"probe.py": "def add(a, b:\n"})
    assert broken["score"] == 0 and "SyntaxError" in json.dumps(broken)
    empty = grade(gradescope, {"notes.txt": "nothing here"})
    assert empty["score"] == 0 and "probe" in empty["output"]
    steal = FULL.replace("return a + b", "return len(open('/autograder/source/autograder.json').read())")
    stolen = grade(gradescope, {"probe.py": steal})
    assert stolen["score"] == 3.0, "the submission read the autograder's configuration"
    in_folder = grade(gradescope, {"probe/probe.py": FULL})
    assert in_folder["score"] == 6.0
