"""A planted cohort in Canvas's bulk-download layout, graded against a roster with a due date.

Twelve on the roster: two no-shows, one misnamed file, one ``.py`` + ``.ipynb`` pair, two copies
(one renamed, one byte for byte), two late (one by its file time, one by the LMS's record, past the
zero-after limit), one on time only thanks to an extension; plus one folder not on the roster.
Every row's status, penalty and flag must be right in the gradebook and in every export.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest
from click.testing import CliRunner

from harness.authoring.notebooks import make_notebook
from harness.host.batch.cli import batch_command
from harness.host.batch.gradebook import Gradebook
from harness.host.sinks import file_name_for

from .batch_cohort import FIXTURE_GRADERS, FULL, SCENARIOS

pytestmark = pytest.mark.integration

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
POLICY = ["--late-per-day", "10", "--late-cap", "50", "--late-zero-after", "4"]
SKELETON = (SCENARIOS / "not_implemented_scores_0" / "probe.py").read_text()
PARTIAL_ADD = '''"""Bob's probe: add subtracts (3 of 6)."""
import numpy as np


def count_nonzero(values):
    mask = np.asarray(values) != 0
    return int(mask.sum())


def add(a, b):
    difference = np.subtract(a, b)
    return difference


def is_positive(values):
    for value in np.ravel(values):
        if not value > 0:
            return False
    return True


def scale(values, factor):
    return np.asarray(values) * factor
'''
PARTIAL_COUNT = FULL.replace("return int(np.count_nonzero(x))", "return float(np.count_nonzero(x))")  # 5 of 6
RENAMED_COPY = (
    FULL.replace("def add(a, b):\n    return a + b", "def add(first, second):\n    return first + second")
    .replace("x * factor", "values * factor")
    .replace("(x, factor)", "(values, factor)")
    .replace("import numpy as np", "import numpy as np\n\n# my own work")
)
INDEPENDENT = """import numpy


def count_nonzero(array):
    total = 0
    for value in numpy.ravel(array):
        if value != 0:
            total = total + 1
    return total


def is_positive(array):
    smallest = numpy.min(array)
    if smallest > 0:
        return True
    return False


def scale(array, factor):
    return numpy.multiply(factor, array)


def add(left, right):
    return numpy.add(left, right)
"""
NOTEBOOK_STYLE = """import numpy as np


def add(a, b):
    result = np.asarray(a) + np.asarray(b)
    return result


def scale(x, factor):
    out = np.array(x, dtype=float)
    out *= factor
    return out


def is_positive(x):
    return not bool((np.asarray(x) <= 0).any())


def count_nonzero(x):
    return len(np.flatnonzero(x))
"""
LATE_STYLE = """from numpy import all as every, count_nonzero as nonzero_count


def add(a, b):
    return b + a


def scale(x, factor):
    return factor * x


def is_positive(x):
    return bool(every(x > 0))


def count_nonzero(x):
    return int(nonzero_count(x))
"""
HEIDI_STYLE = """import numpy as np

def is_positive(x): return bool(np.min(x) > 0)
def count_nonzero(x): return int(np.sum(np.asarray(x) != 0))
def scale(x, factor): return np.asarray(x) * float(factor)
def add(a, b): return np.sum([a, b], axis=0)
"""

# id: (name, status, score before the penalty, days late, penalty %, final score, time source)
EXPECTED = {
    "1001": ("Alice Smith", "full", 6, 0, 0, 6, "file times"),
    "1002": ("Bob Jones", "partial", 3, 0, 0, 3, "file times"),
    "1003": ("Carol White", "full", 6, 0, 0, 6, "file times"),  # alice's, renamed
    "1004": ("Dave Brown", "partial", 3, 0, 0, 3, "file times"),  # bob's, byte for byte
    "1005": ("Erin Green", "full", 6, 0, 0, 6, "file times"),  # .py (5) and newer .ipynb (6)
    "1006": ("Frank Black", "full", 6, 0, 0, 6, "file times"),  # probe_final.py, with --accept-fuzzy
    "1007": ("Grace Hall", "full", 6, 2, 20, 4.8, "file times"),  # 1.5 days late by its file time
    "1008": ("Heidi King", "full", 6, 5, 100, 0, "roster"),  # 5 days late by the LMS: over 4 days
    "1009": ("Ivan Lee", "partial", 5, 0, 0, 5, "file times"),  # a day late, with 2 days' extension
    "1010": ("Judy Moore", "zero", 0, 0, 0, 0, "file times"),  # the skeleton
    "1011": ("Mallory Nash", "missing", 0, 0, 0, 0, ""),
    "1012": ("Oscar Price", "missing", 0, 0, 0, 0, ""),
}
FLAGS = {("1001", "1003", "similar"), ("1002", "1004", "identical")}


def canvas_name(name: str) -> str:
    first, last = name.lower().split()
    return last + first


def _write(
    root: Path,
    name: str,
    identity: str,
    file: str,
    text: str | bytes,
    *,
    when: datetime,
    late: bool = False,
    submission: int = 0,
) -> None:
    path = root / f"{canvas_name(name)}_{'LATE_' if late else ''}{identity}_{5000 + submission}_{file}"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    os.utime(path, (when.timestamp(), when.timestamp()))


def make_canvas_download(root: Path) -> Path:
    """The planted cohort as Canvas's bulk download, and the roster beside it."""
    root.mkdir(parents=True)
    early = DUE - timedelta(days=2)
    sources = {
        "1001": FULL,
        "1002": PARTIAL_ADD,
        "1003": RENAMED_COPY,
        "1004": PARTIAL_ADD,
        "1007": LATE_STYLE,
        "1008": HEIDI_STYLE,
        "1009": PARTIAL_COUNT,
        "1010": SKELETON,
    }
    times = {"1007": DUE + timedelta(days=1, hours=12), "1009": DUE + timedelta(hours=20)}
    for number, (identity, source) in enumerate(sources.items()):
        _write(
            root,
            EXPECTED[identity][0],
            identity,
            "probe.py",
            source,
            when=times.get(identity, early),
            late=identity in ("1007", "1008", "1009"),
            submission=number,
        )
    _write(root, "Bob Jones", "1002", "notes.txt", "my notes", when=early, submission=20)
    notebook = nbformat.writes(make_notebook(NOTEBOOK_STYLE, title="Engine probe", module="probe.py"))
    _write(
        root,
        "Erin Green",
        "1005",
        "probe.py",
        PARTIAL_COUNT.replace("return float", "return float"),
        when=DUE - timedelta(days=3),
        submission=21,
    )
    _write(root, "Erin Green", "1005", "probe.ipynb", notebook, when=DUE - timedelta(days=1), submission=22)
    _write(root, "Frank Black", "1006", "probe_final.py", INDEPENDENT, when=early, submission=23)
    _write(root, "Trudy Evil", "9999", "probe.py", FULL, when=early, submission=24)  # not on the roster
    (root / "README.txt").write_text("downloaded from Canvas")
    roster = root.parent / "roster.csv"
    with roster.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "name", "email", "extension_days", "submitted_at", "sis_user_id", "section"])
        for identity, (name, *_rest) in EXPECTED.items():
            submitted = (DUE + timedelta(days=4, hours=3)).isoformat() if identity == "1008" else ""
            writer.writerow(
                [
                    identity,
                    name,
                    f"{canvas_name(name)}@example.edu",
                    "2" if identity == "1009" else "",
                    submitted,
                    f"S{identity}",
                    "A" if int(identity) % 2 else "B",
                ]
            )
    return roster


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    base = tmp_path_factory.mktemp("canvas")
    submissions = base / "download"
    roster = make_canvas_download(submissions)
    gradebook = base / "gradebook.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADE_GRADERS_DIR", str(FIXTURE_GRADERS))
        outcome = CliRunner().invoke(
            batch_command,
            [
                str(submissions),
                "--layout",
                "canvas",
                "--roster",
                str(roster),
                "--gradebook",
                str(gradebook),
                "--due",
                DUE.strftime("%Y-%m-%dT%H:%M"),
                *POLICY,
                "--accept-fuzzy",
                "--backend",
                "local",
                "-j",
                "2",
                "--exercises",
                "probe",
                "--export-dir",
                str(base / "exports"),
                "--report",
                str(base / "report"),
            ],
        )
    assert outcome.exit_code == 0, outcome.output + repr(outcome.exception)
    return gradebook, base / "exports", base / "report", outcome.output


def test_every_row_has_its_status_penalty_and_time_source_in_the_gradebook(cohort):
    gradebook, _, _, output = cohort
    book = Gradebook(gradebook, create=False)
    entries = {entry.candidate: entry for entry in book.entries()}
    assert set(entries) == set(EXPECTED), "every roster entry has a row; the stranger has none"
    adjustments = book.adjustments()
    for identity, (_, status, before, days, penalty, final, source) in EXPECTED.items():
        adjustment = adjustments[(identity, "probe")]
        found = (
            adjustment.row_status,
            entries[identity].result.score,
            adjustment.days_late,
            adjustment.penalty_percent,
            adjustment.final_score,
            adjustment.time_source,
        )
        assert found == (status, before, days, penalty, final, source), identity
    assert "graded the notebook" in entries["1005"].result.output, "the report says which file was graded"
    assert any("probe_final.py" in note for note in adjustments[("1006", "probe")].notes)
    assert any("LMS marked" in note for note in adjustments[("1008", "probe")].notes)
    batch = book.last_batch()
    assert any("9999" in name for name in batch["unknown"]) and "README.txt" in batch["ignored"]
    assert any("notes.txt" in line for line in book.accounting()["1002"])
    assert {(first, second, kind) for _, first, second, _, kind in book.flags()} == FLAGS
    assert "9999" in output and "not on the roster" in " ".join(output.split())


def _csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_every_export_carries_the_status_and_final_score_of_every_row(cohort):
    _, exports, _, _ = cohort
    wide = {row["candidate"]: row for row in _csv(exports / "grades_wide.csv")}
    canvas = _csv(exports / "canvas_grades.csv")
    moodle = {row["ID number"]: row for row in _csv(exports / "moodle_grades.csv")}
    long = _csv(exports / "grades_long.csv")
    document = json.loads((exports / "gradebook.json").read_text())
    json_rows = {item["candidate"]: item["results"][0] for item in document["candidates"]}
    suites = {
        suite.get("name").split("/")[0]: suite
        for suite in ElementTree.parse(exports / "junit.xml").getroot().findall("testsuite")
    }
    assert canvas[0]["Student"] == "Points Possible" and canvas[0]["probe"] == "6"
    canvas_rows = {row["ID"]: row for row in canvas[1:]}
    assert set(wide) == set(canvas_rows) == set(moodle) == set(json_rows) == set(suites) == set(EXPECTED)
    for identity, (name, status, _, days, penalty, final, source) in EXPECTED.items():
        lms = "" if status == "missing" else f"{final:g}"
        assert (wide[identity]["probe"], wide[identity]["probe status"], wide[identity]["probe days late"]) == (
            f"{final:g}",
            status,
            str(days),
        ), identity
        assert wide[identity]["name"] == name
        assert canvas_rows[identity]["probe"] == lms and canvas_rows[identity]["Student"] == name
        assert canvas_rows[identity]["SIS User ID"] == f"S{identity}"
        assert moodle[identity]["probe (Real)"] == lms and moodle[identity]["Email address"].endswith("example.edu")
        row = json_rows[identity]
        assert (
            row["status"],
            row["final_score"],
            row["days_late"],
            row["penalty_percent"],
            row["submission_time_source"],
        ) == (status, final, days, penalty, source), identity
        assert {line["row_status"] for line in long if line["candidate"] == identity} == {status}
        properties = {item.get("name"): item.get("value") for item in suites[identity].find("properties")}
        assert (properties["row_status"], float(properties["final_score"])) == (status, final), identity
        assert (suites[identity].get("skipped") != "0") == (status == "missing"), identity
        gradescope = json.loads(
            (exports / "gradescope" / file_name_for(identity) / "probe" / "results.json").read_text()
        )
        assert (gradescope["score"], gradescope["extra_data"]["status"]) == (final, status), identity
    assert {(flag["first"], flag["second"], flag["kind"]) for flag in document["flags"]} == FLAGS


def test_the_report_reads_top_down_and_shows_the_pairs_side_by_side(cohort):
    _, _, report, _ = cohort
    index = (report / "index.html").read_text()
    summary, candidates, checks = index.index("Summary"), index.index("<h2>Candidates"), index.index("<h2>Checks")
    assert summary < candidates < checks
    for status in ("full", "partial", "zero", "missing"):
        assert f'class="{status}"' in index
    assert "fail</span>" not in index and ">pass<" not in index
    pairs = sorted((report / "pairs").glob("*.html"))
    assert len(pairs) == 2
    page = next(path for path in pairs if "1004" in path.read_text()).read_text()
    assert page.count("<pre>") == 2 and "identical" in page
    assert json.loads((report / "report.json").read_text())["revision"] == Gradebook(cohort[0]).revision()


def test_without_accept_fuzzy_a_misnamed_file_is_proposed_not_graded(tmp_path, probe_graders):
    from harness.host.batch.discovery import find_candidates, plan_tasks
    from harness.host.batch.layouts import arrange
    from harness.host.batch.roster import read_roster
    from harness.project import get_exercise

    roster = read_roster(make_canvas_download(tmp_path / "download"))
    arranged, _ = arrange(tmp_path / "download", layout="canvas", scratch=tmp_path / "arranged")
    found = find_candidates(arranged, unpack_dir=tmp_path / "unpacked", slugs={"probe"}, roster=roster)
    tasks = {task.candidate: task for task in plan_tasks(found.candidates, [get_exercise("probe")], roster=roster)}
    frank = tasks["1006"]
    assert frank.path is None and frank.missing
    assert "probe_final.py" in (frank.problem or "") and "--accept-fuzzy" in (frank.problem or "")
    assert tasks["1011"].missing and tasks["1001"].path is not None
