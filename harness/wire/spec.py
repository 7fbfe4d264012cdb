"""What the host tells a grader process about one run, as a JSON file the grader reads and then removes.

The specification travels in a file, not on the command line, because any
process of the machine can read another's command line (``/proc/PID/cmdline``),
the submission worker included.  The file sits in a folder only the grader may
enter (the results folder), and the grader deletes it once read.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from harness.errors import GradingFailure

MAX_SPEC_BYTES = 64 * 1024
SALT_BYTES = 16


def new_salt() -> str:
    """Draw a fresh salt, as hex (what ``grade`` does for every run unless told otherwise)."""
    return secrets.token_hex(SALT_BYTES)


def parse_salt(text: str) -> bytes:
    """Read a salt given as hex; raise ``ValueError`` saying what is wrong."""
    try:
        salt = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError("a data secret is hexadecimal text, such as the one `grade` prints with -v") from None
    if len(salt) < 8:
        raise ValueError("a data secret needs at least 16 hexadecimal digits")
    return salt


def fingerprint(salt_hex: str) -> str:
    """A short, one-way name for a salt: results record it so that a run can be matched to its secret."""
    return hashlib.sha256(b"ml-grader fingerprint:" + parse_salt(salt_hex)).hexdigest()[:16]


class BadRunSpec(GradingFailure, ValueError):
    """The run specification is missing, unreadable or incomplete."""


@dataclass(frozen=True)
class RunSpec:
    """One grading run, as the grader process sees its paths."""

    grader_dir: str
    submission_file: str
    seed: int
    data_secret: str  # hex salt; with the seed it determines every check's data
    include_hidden: bool
    results_file: str
    worker_user: str | int | None = None  # run the worker as this user (name or uid), never as the grader's
    cgroup: str | None = None  # a cgroup the host made for this run: workers get child cgroups in it
    threads: int = 1  # threads of the candidate's numerical libraries: fixed, so results repeat
    stop_at_first_failure: bool = False  # selftest's argument mutants only need to know a point is lost
    only: tuple[str, ...] = ()  # check ids to run (grade --only); empty: every check

    def __post_init__(self):
        if self.threads < 1:
            raise BadRunSpec("threads must be at least 1")

    def write(self, path: Path) -> Path:
        """Write the specification to ``path``, readable by its owner only."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle)
        return Path(path)

    @classmethod
    def read(cls, path: Path, *, remove: bool = True) -> RunSpec:
        """Read a specification, then remove its file where the folder allows it."""
        path = Path(path)
        try:
            if path.stat().st_size > MAX_SPEC_BYTES:
                raise BadRunSpec(f"{path} is larger than {MAX_SPEC_BYTES} bytes")
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BadRunSpec(f"cannot read the run specification {path}: {error}") from None
        if remove:
            try:
                path.unlink()
            except OSError:
                pass  # a read-only mount: the folder is the grader's alone anyway
        known = {field.name for field in fields(cls)}
        if not isinstance(data, dict) or not known >= data.keys():
            raise BadRunSpec(f"{path} does not hold a run specification")
        if isinstance(data.get("only"), list):
            data["only"] = tuple(data["only"])
        try:
            return cls(**data)
        except TypeError as error:
            raise BadRunSpec(f"{path}: {error}") from None
