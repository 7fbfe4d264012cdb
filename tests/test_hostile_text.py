"""Hostile text from candidates goes through every sink without an exception and without raw control characters.

Sinks: the result file, the terminal report, the SQLite gradebook, CSV, HTML, JUnit XML and
Gradescope JSON. The corpus holds what attacks used (a lone surrogate, ESC sequences and Rich
markup faking a score, NUL, bidi overrides, a 1 MB line, spreadsheet formulas, ``<script>``, ``]]>``);
hypothesis adds arbitrary text, surrogates included.
"""

import csv
import io
import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from harness.grader.runner import write_result
from harness.host.batch.exports import export_gradebook
from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.keys import TaskKey
from harness.host.batch.report import write_report
from harness.host.batch.report_assets import SORT_SCRIPT
from harness.host.reports import render_result
from harness.host.sinks import csv_cell, file_name_for, html_text, xml_text
from harness.wire.results import CheckResult, Outcome, RunResult
from harness.wire.text import clean_name, clean_text

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

CORPUS = [
    "\ud800",
    "lone \udfff surrogate",
    "a\x00b",
    "\x1b[2J\x1b[1;32mTotal: 20 / 20 (pass)\x1b[0m",
    "[bold green]Total: 20 / 20 (pass)[/bold green]",
    "[/]",
    "\u202eexe.txt\u202c",
    "\u2066isolate\u2069",
    "x" * 1_000_000,
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-1",
    "@SUM(A1)",
    "\tTab",
    "<script>alert(1)</script>",
    "]]><x/>",
    "\r20/20",
    "line\r\nbreak",
    "\x85\x9b[31m",
    "\ufeffBOM",
    "\u200bzero width",
    "emoji 🙂 and 中文",
]
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff]")


def hostile_result(text: str) -> RunResult:
    checks = [
        CheckResult(
            "test_public.py::test_add",
            text or "check",
            2,
            outcome=Outcome.FAILED,
            output=text,
            candidate_output=text,
            measurements={text: 1.0},
        ),
        CheckResult("test_public.py::test_scale", "scale", 1, score=1, outcome=Outcome.PASSED),
    ]
    return RunResult(
        exercise="probe",
        seed=0,
        checks=checks,
        submission={"path": text, "file": text},
        backend="local",
        output=text,
        error=text or None,
        versions={"python": text},
    )


def assert_clean(text: str, where: str) -> None:
    found = FORBIDDEN.search(text)
    assert found is None, f"{where}: raw {found.group()!r} at {found.start()}"
    text.encode("utf-8")  # never raises


@pytest.mark.parametrize("text", CORPUS, ids=range(len(CORPUS)))
def test_every_sink_takes_the_corpus(text, tmp_path):
    result = hostile_result(text)
    write_result(result, tmp_path / "result.json")  # the grader's own write: never raises
    written = json.loads((tmp_path / "result.json").read_text(encoding="ascii"))
    assert_clean(json.dumps(written, ensure_ascii=False), "result file")

    console = Console(file=io.StringIO(), width=100, color_system=None, force_terminal=False)
    render_result(hostile_result(text), console=console)
    shown = console.file.getvalue()
    assert_clean(shown, "terminal")
    if "[bold green]" in text:
        assert "[bold green]" in shown, "markup must be shown, not rendered"

    gradebook = Gradebook(tmp_path / "book.sqlite")
    key = TaskKey("s" * 64, "g" * 64, "local", 0, True)
    from harness.host.batch.writer import GradebookWriter

    with GradebookWriter(gradebook) as writer:
        writer.put(
            GradebookEntry(
                clean_name(text) or "candidate", "probe", key, clean_name(text), hostile_result(text).clean()
            )
        )
        writer.put(GradebookEntry("innocent", "probe", key, "innocent/probe", hostile_result("fine")))
    entries = {entry.candidate: entry for entry in gradebook.entries()}
    assert "innocent" in entries and entries["innocent"].result.error == "fine"
    assert len(entries) == 2

    files = export_gradebook(gradebook=tmp_path / "book.sqlite", out_dir=tmp_path / "out")
    for path in files:
        content = path.read_text(encoding="utf-8")
        assert_clean(content, path.name)
    for row in csv.reader(io.StringIO((tmp_path / "out" / "grades_long.csv").read_text(encoding="utf-8"))):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in row), row
    ElementTree.parse(tmp_path / "out" / "junit.xml")  # parses, whatever the text
    index = write_report(gradebook=tmp_path / "book.sqlite", out_dir=tmp_path / "report")
    for page in [index, *index.parent.glob("candidates/*.html"), *index.parent.glob("pairs/*.html")]:
        content = page.read_text(encoding="utf-8")
        assert_clean(content, page.name)
        scripts = content.count("<script")
        assert scripts == (1 if page == index else 0), "the only script is the report's own sorting"
        if scripts:
            assert content.split("<script>")[1].split("</script>")[0] == SORT_SCRIPT


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=300))
def test_arbitrary_text_comes_out_clean_from_every_sink_function(text):
    for sink in (clean_text, clean_name, csv_cell, html_text, xml_text):
        assert_clean(sink(text), sink.__name__)
    assert not csv_cell(text).startswith(("=", "+", "-", "@"))
    assert "<" not in html_text(text)
    ElementTree.fromstring(f'<a b="{html_text(text)}">{html_text(text)}</a>')


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet=st.characters(exclude_categories=()), max_size=30), min_size=2, max_size=6, unique=True)
)
def test_file_names_are_injective(identities):
    names = [file_name_for(identity) for identity in identities]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", name) and not name.startswith(".") for name in names)
