"""Unpack a candidate's zip file safely, or say exactly why it is refused.

Refused: member paths that escape the folder (absolute, ``..``, drive letters),
symbolic links and other special files (read from ``external_attr``),
password-protected members, duplicate names, too many members, members or a
total larger than the limits, and members whose compression ratio betrays a
zip bomb.  Sizes are counted while unpacking too, not only read from headers.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness.errors import BadInput
from harness.host.staging import MAX_SUBMISSION_BYTES, MAX_SUBMISSION_FILES

IGNORED_PREFIXES = ("__MACOSX/",)
IGNORED_NAMES = {".DS_Store", "Thumbs.db"}
CHUNK_BYTES = 64 * 1024


class UnsafeArchive(BadInput, ValueError):
    """A zip file that is refused: broken, hostile or too large; the message says which member and why."""


@dataclass(frozen=True)
class ArchiveLimits:
    """How much a candidate's zip file may hold."""

    max_members: int = MAX_SUBMISSION_FILES
    max_member_bytes: int = 20 * 1024 * 1024
    max_total_bytes: int = MAX_SUBMISSION_BYTES
    max_ratio: float = 200.0  # uncompressed / compressed size, for members above ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024


def _member_path(name: str) -> PurePosixPath | None:
    """Return the relative path a member may be unpacked to, None for entries to ignore, or refuse it."""
    if "\0" in name:
        raise UnsafeArchive(f"member {name!r} has a NUL character in its name; refused")
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized):
        raise UnsafeArchive(f"member {name!r} has an absolute path; paths in the zip must be relative")
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"member {name!r} climbs out of the archive with '..'; refused (zip-slip)")
    if not parts or normalized.startswith(IGNORED_PREFIXES) or parts[-1] in IGNORED_NAMES:
        return None
    return PurePosixPath(*parts)


def _check_member(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    """Refuse a member that is a link or special file, encrypted, too large or too compressed."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode) if info.create_system == 3 else 0  # Unix attributes; 0 when only permissions
    if kind == stat.S_IFLNK:
        raise UnsafeArchive(f"member {info.filename!r} is a symbolic link; links in submissions are refused")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise UnsafeArchive(f"member {info.filename!r} is a special file (mode {oct(mode)}); refused")
    if info.flag_bits & 0x1:
        raise UnsafeArchive(f"member {info.filename!r} is password-protected; submit an unencrypted zip")
    if info.file_size > limits.max_member_bytes:
        raise UnsafeArchive(
            f"member {info.filename!r} is {info.file_size:,} bytes unpacked, more than the "
            f"{limits.max_member_bytes:,} allowed"
        )
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise UnsafeArchive(
            f"member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):,.0f} "
            f"times (more than {limits.max_ratio:g}); refused as a compression bomb"
        )


def extract_archive(archive_path: Path, destination: Path, *, limits: ArchiveLimits = ArchiveLimits()) -> list[Path]:
    """Unpack ``archive_path`` into the new folder ``destination``; return the files written, or raise UnsafeArchive."""
    archive_path, destination = Path(archive_path), Path(destination)
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise UnsafeArchive(f"{archive_path.name} is not a readable zip file ({error})") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise UnsafeArchive(
                f"{archive_path.name} holds {len(members):,} members, more than the {limits.max_members:,} allowed"
            )
        planned: dict[PurePosixPath, zipfile.ZipInfo] = {}
        for info in members:
            relative = _member_path(info.filename)
            _check_member(info, limits)
            if relative is None or info.is_dir():
                continue
            if relative in planned:
                raise UnsafeArchive(f"{archive_path.name} holds {info.filename!r} twice; refused")
            planned[relative] = info
        declared = sum(info.file_size for info in planned.values())
        if declared > limits.max_total_bytes:
            raise UnsafeArchive(
                f"{archive_path.name} unpacks to {declared:,} bytes, more than the {limits.max_total_bytes:,} allowed"
            )
        destination.mkdir(parents=True, exist_ok=False)
        written: list[Path] = []
        total = 0
        for relative, info in planned.items():
            target = destination.joinpath(*relative.parts)
            total += _unpack_member(archive, info, target, limits=limits, already=total)
            written.append(target)
        return written


def _unpack_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, *, limits: ArchiveLimits, already: int
) -> int:
    """Copy one member to ``target``, counting real bytes against the limits; return how many were written."""
    count = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(target, "xb") as sink:
            while chunk := source.read(CHUNK_BYTES):
                count += len(chunk)
                if count > limits.max_member_bytes or already + count > limits.max_total_bytes:
                    raise UnsafeArchive(
                        f"member {info.filename!r} unpacks to more than the limits allow "
                        f"({limits.max_member_bytes:,} bytes a member, "
                        f"{limits.max_total_bytes:,} in all); refused"
                    )
                sink.write(chunk)
    except UnsafeArchive:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as error:
        raise UnsafeArchive(f"member {info.filename!r} cannot be unpacked: {error}") from None
    target.chmod(0o644)
    return count
