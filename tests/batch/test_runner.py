"""The batch runner: discovery, failure isolation and usage errors, without real grading runs."""

import pytest
from click.testing import CliRunner

from harness.host.batch import runner
from harness.host.batch.cli import batch_command
from harness.host.batch.discovery import find_candidates, locate_exercise, plan_tasks
from harness.host.batch.gradebook import Gradebook
from harness.host.batch.keys import grader_hash, submission_hash
from harness.host.batch.layouts import arrange
from harness.project import get_exercise
from harness.wire.results import Outcome, Status

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

FULL_SOURCE = "def add(a, b):\n    return a + b\n"


def flat(text: str) -> str:
    """Join the lines rich wrapped."""
    return " ".join(text.split())


def _cohort(root):
    for name in ("alice", "bob", "carol"):
        (root / name / "probe").mkdir(parents=True)
        (root / name / "probe" / "probe.py").write_text(FULL_SOURCE + f"# {name}\n")
    return root


def test_an_unexpected_exception_becomes_that_tasks_result(probe_graders, tmp_path, monkeypatch):
    submissions = _cohort(tmp_path / "submissions")

    def fake_grade(*, path, exercise, **options):
        if "bob" in str(path):
            raise RuntimeError("the disk caught fire")
        return runner.problem_result(
            get_exercise(exercise), seed=options["seed"], message="fake", include_hidden=options["include_hidden"]
        )

    monkeypatch.setattr(runner, "grade_submission", fake_grade)
    summary = runner.run_batch(submissions_dir=submissions, gradebook=tmp_path / "gb.sqlite", jobs=2, backend="local")
    assert (summary.total, summary.graded, summary.errors) == (3, 3, 1)
    results = {entry.candidate: entry.result for entry in Gradebook(tmp_path / "gb.sqlite").entries()}
    assert results["bob"].status is Status.ERROR
    assert "the disk caught fire" in results["bob"].error
    assert {check.outcome for check in results["bob"].checks} == {Outcome.NOT_RUN}
    assert results["alice"].status is Status.FAIL and results["alice"].output == "fake"

    def again(*, retry_errors):
        summary = runner.run_batch(
            submissions_dir=submissions, gradebook=tmp_path / "gb.sqlite", backend="local", retry_errors=retry_errors
        )
        return summary.graded, summary.skipped

    assert again(retry_errors=False) == (0, 3), "an error is a result like any other"
    monkeypatch.setattr(runner, "grade_submission", lambda **options: fake_grade(**{**options, "path": "fixed"}))
    assert again(retry_errors=True) == (1, 2), "--retry-errors grades the error again"
    assert again(retry_errors=True) == (0, 3), "and only once"
    assert Gradebook(tmp_path / "gb.sqlite").entries()[1].result.status is Status.FAIL


def test_keys_follow_contents_and_grader(probe_graders, tmp_path):
    folder = _cohort(tmp_path / "s")
    exercise = get_exercise("probe")
    alice, bob = folder / "alice" / "probe", folder / "bob" / "probe"
    assert submission_hash(alice) != submission_hash(bob)
    before = submission_hash(alice)
    (alice / "__pycache__").mkdir()
    (alice / "__pycache__" / "probe.cpython-311.pyc").write_bytes(b"compiled")
    assert submission_hash(alice) == before, "caches are not part of the submission"
    (alice / "probe.py").write_text(FULL_SOURCE)
    assert submission_hash(alice) != before
    assert grader_hash(exercise) == grader_hash(get_exercise("probe"))


def test_discovery_finds_folders_zips_and_loose_files(probe_graders, tmp_path):
    root = tmp_path / "submissions"
    (root / "loose").mkdir(parents=True)
    (root / "loose" / "probe.py").write_text(FULL_SOURCE)
    (root / "wrapped" / "wrapped" / "probe").mkdir(parents=True)
    (root / "wrapped" / "wrapped" / "probe" / "probe.py").write_text(FULL_SOURCE)
    (root / "twice").mkdir()
    (root / "twice.zip").write_bytes(b"")
    (root / ".hidden").mkdir()
    arranged, _ = arrange(root, scratch=tmp_path / "arranged")
    found = find_candidates(arranged, unpack_dir=tmp_path / "unpacked", slugs={"probe"})
    candidates = {candidate.identity: candidate for candidate in found.candidates}
    assert set(candidates) == {"loose", "wrapped", "twice"}
    assert "two submissions for twice" in candidates["twice"].problem
    exercise = get_exercise("probe")
    assert locate_exercise(candidates["loose"].root, exercise) == root / "loose"
    assert locate_exercise(candidates["wrapped"].root, exercise) == root / "wrapped" / "wrapped" / "probe"
    tasks = {task.candidate: task for task in plan_tasks(found.candidates, [exercise])}
    assert tasks["wrapped"].display == "wrapped/wrapped/probe" and tasks["twice"].path is None


def test_usage_errors_exit_2(probe_graders, tmp_path):
    invoke = CliRunner().invoke
    missing = invoke(batch_command, [str(tmp_path / "nowhere"), "--gradebook", str(tmp_path / "g.sqlite")])
    assert missing.exit_code == 2 and "not a folder" in flat(missing.output)
    submissions = _cohort(tmp_path / "submissions")
    unknown = invoke(
        batch_command,
        [str(submissions), "--gradebook", str(tmp_path / "g.sqlite"), "--exercises", "nope", "--backend", "local"],
    )
    assert unknown.exit_code == 2 and "no exercise called 'nope'" in flat(unknown.output)
    (tmp_path / "empty").mkdir()
    empty = invoke(
        batch_command, [str(tmp_path / "empty"), "--gradebook", str(tmp_path / "g.sqlite"), "--backend", "local"]
    )
    assert empty.exit_code == 2 and "no candidate" in flat(empty.output)
    help_text = invoke(batch_command, ["--help"]).output
    assert "Example:" in help_text and "--public-only" in help_text


def test_jobs_must_be_positive(probe_graders, tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        runner.run_batch(submissions_dir=tmp_path, gradebook=tmp_path / "g.sqlite", jobs=0)
