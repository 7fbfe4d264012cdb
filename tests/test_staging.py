"""Submissions are copied before grading; links out of them and oversized ones are refused."""

import os

import pytest

from harness.host.staging import MissingSubmissionFile, UnsafeSubmission, stage_submission


def test_copies_the_folder_and_hashes_the_module(tmp_path):
    source = tmp_path / "cnn"
    (source / "helpers").mkdir(parents=True)
    (source / "cnn.py").write_text("x = 1\n")
    (source / "helpers" / "util.py").write_text("y = 2\n")
    staged = stage_submission(source, tmp_path / "staged", module="cnn.py")
    assert (staged.directory / "helpers" / "util.py").read_text() == "y = 2\n"
    assert len(staged.sha256) == 64 and staged.module_file == "cnn.py"


def test_symlink_out_of_the_submission_is_refused(tmp_path):
    source = tmp_path / "cnn"
    source.mkdir()
    (source / "cnn.py").write_text("x = 1\n")
    os.symlink("/etc/passwd", source / "data.txt")
    with pytest.raises(UnsafeSubmission, match="/etc/passwd"):
        stage_submission(source, tmp_path / "staged", module="cnn.py")


def test_symlinked_module_file_pointing_outside_is_refused(tmp_path):
    source = tmp_path / "cnn"
    source.mkdir()
    os.symlink("/etc/hostname", source / "cnn.py")
    with pytest.raises(UnsafeSubmission):
        stage_submission(source, tmp_path / "staged", module="cnn.py")


def test_missing_module_names_what_is_there(tmp_path):
    source = tmp_path / "cnn"
    source.mkdir()
    (source / "my_cnn.py").write_text("x = 1\n")
    with pytest.raises(MissingSubmissionFile, match=r"no cnn\.py.*my_cnn\.py"):
        stage_submission(source, tmp_path / "staged", module="cnn.py")


def test_too_many_files_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("harness.host.staging.MAX_SUBMISSION_FILES", 3)
    source = tmp_path / "cnn"
    source.mkdir()
    for index in range(5):
        (source / f"f{index}.py").write_text("")
    with pytest.raises(UnsafeSubmission, match="more than 3 files"):
        stage_submission(source, tmp_path / "staged", module="f0.py")
