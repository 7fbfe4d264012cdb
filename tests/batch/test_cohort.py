"""A cohort of 30 candidates, good, partial, broken and hostile, graded with -j 2 into one gradebook."""

import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from harness.host.batch.cli import batch_command
from harness.host.batch.gradebook import Gradebook
from harness.wire.results import Outcome, Status

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast


def test_the_gradebook_records_the_right_score_for_every_candidate(graded_cohort):
    entries = Gradebook(graded_cohort.gradebook, create=False).entries()
    assert len(graded_cohort.expected) >= 30
    assert {entry.candidate for entry in entries} == set(graded_cohort.expected)
    assert all(entry.exercise == "probe" for entry in entries)
    errors = {entry.candidate: entry.result.error for entry in entries if entry.result.status is Status.ERROR}
    assert not errors, f"grading errors (the grader's fault, never the candidate's): {errors}"
    scores = {entry.candidate: entry.result.score for entry in entries}
    assert scores == graded_cohort.expected
    assert all(entry.result.max_score == 6.0 for entry in entries), "hidden checks run by default"


def test_refused_submissions_carry_their_reason(graded_cohort):
    results = {entry.candidate: entry.result for entry in Gradebook(graded_cohort.gradebook).entries()}
    for candidate, fragment in graded_cohort.messages.items():
        result = results[candidate]
        assert fragment in result.output, (candidate, result.output)
        assert all(fragment in check.output and check.score == 0 for check in result.checks), candidate


def test_hostile_submissions_are_recorded_as_what_they_did(graded_cohort):
    results = {entry.candidate: entry.result for entry in Gradebook(graded_cohort.gradebook).entries()}
    outcome = {
        name: {check.check_id.split("::")[1]: check.outcome for check in result.checks}
        for name, result in results.items()
    }
    assert outcome["infinite_loop"]["test_scale"] is Outcome.TIMEOUT
    assert outcome["memory_hog"]["test_scale"] is Outcome.OUT_OF_MEMORY
    assert outcome["attack_os_exit"]["test_scale"] is Outcome.CRASHED
    assert set(outcome["skeleton_1"].values()) == {Outcome.NOT_IMPLEMENTED}
    assert "graded the notebook" in results["full_notebook"].output


def test_summary_and_task_keys(graded_cohort):
    assert "graded 30, skipped 0" in " ".join(graded_cohort.output.split())
    assert "notes.txt" in graded_cohort.output, "what is not a candidate is named"
    entries = {entry.candidate: entry for entry in Gradebook(graded_cohort.gradebook).entries()}
    # the hash is of the files' contents: the same files in a folder or in a zip have the same key
    assert entries["full_folder_1"].key == entries["full_zip"].key == entries["full_zip_wrapped"].key
    assert entries["full_folder_1"].key.image == "local" and entries["full_folder_1"].key.include_hidden
    assert entries["full_zip"].source == "full_zip.zip:probe"


def _copy_gradebook(source, destination):
    """Copy a gradebook with its secrets file (without it, no row can be trusted)."""
    with sqlite3.connect(source) as original, sqlite3.connect(destination) as copy:
        original.backup(copy)
    suffix = Gradebook(source).secrets_path.name.removeprefix(source.name)
    shutil.copyfile(source.with_name(source.name + suffix), destination.with_name(destination.name + suffix))


def test_a_row_changed_outside_the_grader_is_graded_again(graded_cohort, probe_graders, tmp_path):
    gradebook = tmp_path / "gradebook.sqlite"
    _copy_gradebook(graded_cohort.gradebook, gradebook)
    with sqlite3.connect(gradebook) as connection:  # what a daemon left behind by a submission did
        connection.execute(
            "UPDATE results SET score = 6, result_json = replace(result_json, '\"score\": 0.0', "
            "'\"score\": 6.0') WHERE candidate = 'syntax_error'"
        )
    forged = {entry.candidate: entry for entry in Gradebook(gradebook).entries()}["syntax_error"]
    assert forged.result.score == 0 and "changed outside the grader" in forged.result.error
    arguments = [str(graded_cohort.submissions), "--gradebook", str(gradebook), "--backend", "local"]
    rerun = CliRunner().invoke(batch_command, arguments)
    assert rerun.exit_code == 0, rerun.output
    assert "graded 1, skipped 29" in " ".join(rerun.output.split())
    restored = {entry.candidate: entry for entry in Gradebook(gradebook).entries()}["syntax_error"]
    assert restored.result.error is None and restored.result.score == graded_cohort.expected["syntax_error"]


def test_rerun_grades_only_what_changed(graded_cohort, probe_graders, tmp_path):
    gradebook = tmp_path / "gradebook.sqlite"
    _copy_gradebook(graded_cohort.gradebook, gradebook)
    submissions = tmp_path / "submissions"
    shutil.copytree(graded_cohort.submissions, submissions, symlinks=True)
    arguments = [str(submissions), "--gradebook", str(gradebook), "-j", "2", "--backend", "local"]
    unchanged = CliRunner().invoke(batch_command, arguments)
    assert unchanged.exit_code == 0, unchanged.output
    assert "graded 0, skipped 30" in " ".join(unchanged.output.split())

    source = submissions / "partial_scale_ignores_factor" / "probe.py"
    source.write_text(source.read_text().replace("return x\n", "return x * factor\n"))
    changed = CliRunner().invoke(batch_command, arguments)
    assert changed.exit_code == 0, changed.output
    assert "graded 1, skipped 29" in " ".join(changed.output.split())
    scores = {entry.candidate: entry.result.score for entry in Gradebook(gradebook).entries()}
    assert scores == {**graded_cohort.expected, "partial_scale_ignores_factor": 6.0}
    log = Gradebook(gradebook).gradings()
    assert [row[0] for row in log].count("partial_scale_ignores_factor") == 2
    assert len(log) == 31
