"""Candidates' zip files: unpacked when safe, refused with a clear message when not."""

import os
import stat
import zipfile

import pytest

from harness.host.batch.archives import ArchiveLimits, UnsafeArchive, extract_archive

from .batch_cohort import FULL, write_zip


def test_a_safe_zip_is_unpacked(tmp_path):
    archive = write_zip(
        tmp_path / "alice.zip",
        {
            "probe/probe.py": FULL,
            "probe/": b"",
            "./notes/a.txt": "hi",
            "__MACOSX/probe/._probe.py": b"junk",
            "probe/.DS_Store": b"x",
        },
    )
    written = extract_archive(archive, tmp_path / "out")
    assert sorted(path.relative_to(tmp_path / "out").as_posix() for path in written) == [
        "notes/a.txt",
        "probe/probe.py",
    ]
    assert (tmp_path / "out" / "probe" / "probe.py").read_text() == FULL
    assert stat.S_IMODE((tmp_path / "out" / "probe" / "probe.py").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "name, message",
    [
        ("../evil.py", "zip-slip"),
        ("probe/../../evil.py", "zip-slip"),
        ("..\\evil.py", "zip-slip"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.py", "absolute path"),
    ],
)
def test_paths_that_escape_are_refused(tmp_path, name, message):
    archive = write_zip(tmp_path / "bad.zip", {"probe/probe.py": FULL, name: "x"})
    with pytest.raises(UnsafeArchive, match=message):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is unpacked from a refused zip"
    assert not (tmp_path / "evil.py").exists()


def test_symlinks_and_special_files_are_refused(tmp_path):
    for kind, message in ((stat.S_IFLNK, "symbolic link"), (stat.S_IFIFO, "special file")):
        archive = tmp_path / f"{kind}.zip"
        with zipfile.ZipFile(archive, "w") as handle:
            member = zipfile.ZipInfo("probe/probe.py")
            member.create_system = 3
            member.external_attr = (kind | 0o777) << 16
            handle.writestr(member, "/etc/passwd")
        with pytest.raises(UnsafeArchive, match=message):
            extract_archive(archive, tmp_path / f"out{kind}")


def test_sizes_counts_and_bombs_are_limited(tmp_path):
    limits = ArchiveLimits(
        max_members=3, max_member_bytes=1000, max_total_bytes=1500, max_ratio=50, ratio_floor_bytes=100
    )
    cases = {
        "members": ({f"f{n}.txt": "x" for n in range(4)}, "4 members, more than the 3"),
        "member": ({"big.bin": os.urandom(1001)}, "1,001 bytes unpacked, more than the 1,000"),
        "total": ({"a.bin": os.urandom(800), "b.bin": os.urandom(800)}, "unpacks to 1,600 bytes"),
        "bomb": ({"zeros.bin": b"\0" * 900}, "compression bomb"),
    }
    for name, (members, message) in cases.items():
        archive = write_zip(tmp_path / f"{name}.zip", members)
        with pytest.raises(UnsafeArchive, match=message):
            extract_archive(archive, tmp_path / name, limits=limits)


def test_broken_and_duplicate_archives_are_refused(tmp_path):
    (tmp_path / "empty.zip").write_bytes(b"")
    with pytest.raises(UnsafeArchive, match="not a readable zip file"):
        extract_archive(tmp_path / "empty.zip", tmp_path / "a")
    with zipfile.ZipFile(tmp_path / "twice.zip", "w") as handle:
        handle.writestr("probe.py", "a = 1")
        with pytest.warns(UserWarning):
            handle.writestr("probe.py", "a = 2")
    with pytest.raises(UnsafeArchive, match="twice"):
        extract_archive(tmp_path / "twice.zip", tmp_path / "b")
    data = bytearray(write_zip(tmp_path / "crc.zip", {"probe.py": FULL}, compression=zipfile.ZIP_STORED).read_bytes())
    data[data.index(b"import numpy")] ^= 0x20  # corrupt the stored bytes: the CRC no longer matches
    (tmp_path / "crc.zip").write_bytes(bytes(data))
    with pytest.raises(UnsafeArchive, match="cannot be unpacked"):
        extract_archive(tmp_path / "crc.zip", tmp_path / "c")
