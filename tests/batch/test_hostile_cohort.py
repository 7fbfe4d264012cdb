"""Nothing one candidate hands in stops a batch, changes another candidate's row, or overwrites their export.

Hostile candidates sit in a cohort beside innocent ones (the full solution): a non-UTF-8 file
name, a non-UTF-8 folder name, two identities that a careless exporter would map to one file, a
submission that prints terminal escapes and Rich markup, and one that leaves a ``setsid()``
daemon behind to rewrite the gradebook after its run. The innocent rows must equal a batch of
the innocent candidates alone, and every hostile row must be recorded.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.host.batch.cli import batch_command, export_command
from harness.host.batch.gradebook import Gradebook
from harness.host.sinks import file_name_for

from .batch_cohort import FULL

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

DAEMON = (
    FULL
    + """

def _haunt():
    import os, time
    if os.fork():
        return
    os.setsid()
    if os.fork():
        os._exit(0)
    time.sleep(0.5)
    keeper = os.getppid()  # the grader (the subreaper) once the middle child has gone
    deadline = time.time() + 300
    while os.getppid() == keeper and time.time() < deadline:
        time.sleep(0.1)  # outlive the grading run, if its clean-up lets us
    with open(HAUNTED_NOTE, "w") as note:
        note.write("the daemon outlived its run")
    os._exit(0)


_haunt()
"""
)
PRINTS_A_FAKE_SCORE = FULL.replace(
    "def add(a, b):",
    "import sys\n"
    "print('\\x1b[2J\\x1b[1;32mTotal: 20 / 20 (pass)\\x1b[0m [bold green]20/20[/bold green]')\n"
    "sys.stdout.flush()\n"
    "sys.stdout.buffer.write(b'\\xed\\xa0\\x80 not UTF-8 \\x00\\n')\n\n\n"
    "def add(a, b):",
).replace(
    "def count_nonzero(x):",
    "def count_nonzero(x):\n    raise ValueError('\\ud800 a lone surrogate in a message')\n\n\ndef _unused(x):",
)


@pytest.fixture
def hostile_cohort(tmp_path, probe_graders):
    submissions = tmp_path / "submissions"
    for name in ("innocent_1", "innocent_2", "Alice Smith", "Alice_Smith-8ae10dfc"):
        (submissions / name).mkdir(parents=True)
        (submissions / name / "probe.py").write_text(FULL)
    strange = submissions / "strange_file_name"
    strange.mkdir()
    (strange / "probe.py").write_text(FULL)
    with open(os.fsencode(strange) + b"/\xff\xfe notes.py", "wb") as handle:  # not UTF-8
        handle.write(b"x = 1\n")
    os.mkdir(os.fsencode(submissions) + b"/caf\xe9")
    with open(os.fsencode(submissions) + b"/caf\xe9/probe.py", "wb") as handle:
        handle.write(FULL.encode())
    (submissions / "fake_score").mkdir()
    (submissions / "fake_score" / "probe.py").write_text(PRINTS_A_FAKE_SCORE)
    (submissions / "daemon").mkdir()
    gradebook = tmp_path / "gradebook.sqlite"
    (submissions / "daemon" / "probe.py").write_text(f"HAUNTED_NOTE = {str(gradebook) + '.haunted'!r}\n" + DAEMON)
    return submissions, gradebook


def _rows(gradebook: Path) -> dict:
    return {entry.candidate: entry for entry in Gradebook(gradebook).entries()}


def test_hostile_candidates_leave_innocent_rows_and_exports_untouched(hostile_cohort, tmp_path):
    submissions, gradebook = hostile_cohort
    outcome = CliRunner().invoke(
        batch_command,
        [
            str(submissions),
            "--gradebook",
            str(gradebook),
            "-j",
            "2",
            "--backend",
            "local",
            "--export-dir",
            str(tmp_path / "out"),
        ],
    )
    assert outcome.exit_code == 0, outcome.output + repr(outcome.exception)
    assert "\x1b" not in outcome.output
    rows = _rows(gradebook)
    assert len(rows) == 8, sorted(rows)
    for innocent in ("innocent_1", "innocent_2", "Alice Smith", "Alice_Smith-8ae10dfc", "strange_file_name"):
        assert rows[innocent].result.score == 6.0 and rows[innocent].result.error is None, innocent
    cafe = next(name for name in rows if name.startswith("caf"))
    assert rows[cafe].result.score == 6.0 and cafe != "café"
    fake = rows["fake_score"].result
    assert fake.score == 5.0 and fake.error is None, "only count_nonzero, which raised, loses its point"
    texts = [fake.output] + [check.output + check.candidate_output for check in fake.checks]
    assert not any(bad in text for text in texts for bad in ("\x1b", "\ud800", "\x00"))

    gradescope = tmp_path / "out" / "gradescope"
    folders = {path.name for path in gradescope.iterdir()}
    assert len(folders) == len(rows), "one export folder per candidate, none shared"
    assert file_name_for("Alice Smith") != file_name_for("Alice_Smith-8ae10dfc")

    time.sleep(3)  # a surviving daemon writes its note as soon as its grader has gone
    assert not Path(str(gradebook) + ".haunted").exists(), "a setsid() daemon outlived its grading run"


def test_innocent_rows_equal_a_batch_of_the_innocent_alone(hostile_cohort, tmp_path):
    submissions, gradebook = hostile_cohort
    alone = tmp_path / "alone"
    (alone / "innocent_1").mkdir(parents=True)
    (alone / "innocent_1" / "probe.py").write_text(FULL)
    secret_book = tmp_path / "alone.sqlite"
    for folder, book in ((submissions, gradebook), (alone, secret_book)):
        outcome = CliRunner().invoke(
            batch_command,
            [
                str(folder),
                "--gradebook",
                str(book),
                "--backend",
                "local",
                "--data-secret",
                "0123456789abcdef0123456789abcdef",
            ],
        )
        assert outcome.exit_code == 0, outcome.output
    together, separate = _rows(gradebook)["innocent_1"].result, _rows(secret_book)["innocent_1"].result
    assert [(check.check_id, check.score, check.outcome) for check in together.checks] == [
        (check.check_id, check.score, check.outcome) for check in separate.checks
    ]
    exported = CliRunner().invoke(export_command, [str(gradebook), "--out", str(tmp_path / "exports")])
    assert exported.exit_code == 0, exported.output
