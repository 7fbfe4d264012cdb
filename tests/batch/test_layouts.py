"""LMS bulk downloads arranged into one submission per candidate: Canvas, Moodle and --pattern."""

from __future__ import annotations

import os

import pytest

from harness.host.batch.layouts import BadLayout, arrange


def _file(path, text="x = 1\n", mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_canvas_flat_files_become_one_folder_per_user_id(tmp_path):
    download = tmp_path / "download"
    _file(download / "smithalice_1001_5001_probe.py", "first = 1\n", mtime=1_000)
    _file(download / "smithalice_1001_5002_probe-1.py", "second = 2\n", mtime=2_000)  # a re-upload
    _file(download / "smithalice_1001_5003_notes.txt")
    _file(download / "jonesbob_LATE_1002_5004_probe.ipynb", "{}")
    _file(download / "README.txt")
    (download / "stray_folder").mkdir()
    arranged, unmatched = arrange(download, layout="canvas", scratch=tmp_path / "scratch")
    by_id = {entry.identity: entry for entry in arranged}
    assert set(by_id) == {"1001", "1002"} and sorted(unmatched) == ["README.txt", "stray_folder"]
    alice = by_id["1001"]
    assert sorted(path.name for path in alice.path.iterdir()) == ["notes.txt", "probe.py"]
    assert (alice.path / "probe.py").read_text() == "second = 2\n", "the newest upload of a file wins"
    assert alice.alternatives == ("smithalice",) and not alice.marked_late
    assert by_id["1002"].marked_late and (by_id["1002"].path / "probe.ipynb").is_file()
    assert alice.path.is_relative_to(tmp_path / "scratch"), "the download itself is never changed"


def test_moodle_folders_are_matched_by_participant_id_and_name(tmp_path):
    download = tmp_path / "download"
    _file(download / "Alice Smith_4242_assignsubmission_file_" / "probe.py")
    _file(download / "Bob Jones_4343_assignsubmission_file_" / "probe" / "probe.py")
    _file(download / "index.html")
    (download / "not a moodle folder").mkdir()
    arranged, unmatched = arrange(download, layout="moodle", scratch=tmp_path / "scratch")
    assert {(entry.identity, entry.alternatives) for entry in arranged} == {
        ("4242", ("Alice Smith",)),
        ("4343", ("Bob Jones",)),
    }
    assert sorted(unmatched) == ["index.html", "not a moodle folder"]
    assert all(entry.path.parent == download for entry in arranged), "folders are used where they are"


def test_a_pattern_matches_other_namings_and_bad_patterns_say_why(tmp_path):
    download = tmp_path / "download"
    _file(download / "hw3-alice-probe.py")
    _file(download / "hw3-bob-probe.py")
    arranged, _ = arrange(download, pattern=r"hw3-(?P<name>[a-z]+)-(?P<file>.+)", scratch=tmp_path / "scratch")
    assert sorted(entry.identity for entry in arranged) == ["alice", "bob"]
    with pytest.raises(BadLayout, match="named group"):
        arrange(download, pattern=r"hw3-(.+)", scratch=tmp_path / "other")
    with pytest.raises(BadLayout, match="not a valid regular expression"):
        arrange(download, pattern=r"hw3-(?P<id>", scratch=tmp_path / "other")
    with pytest.raises(BadLayout, match="unknown layout"):
        arrange(download, layout="blackboard", scratch=tmp_path / "other")
