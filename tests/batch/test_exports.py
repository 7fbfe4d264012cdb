"""Exports of a gradebook: CSV wide and long, JSON, Gradescope results.json files and JUnit XML."""

import csv
import json
import xml.etree.ElementTree as ElementTree

import pytest
from click.testing import CliRunner

from harness.host.batch.cli import export_command
from harness.host.batch.exports import export_gradebook, file_name_for
from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.junit import junit_xml
from harness.host.batch.keys import TaskKey
from harness.wire.results import CheckResult, Outcome, RunResult

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

GRADESCOPE_TOP_LEVEL = {
    "score": (int, float),
    "execution_time": (int,),
    "output": (str,),
    "tests": (list,),
    "extra_data": (dict,),
}
GRADESCOPE_TEST = {
    "name": (str,),
    "score": (int, float),
    "max_score": (int, float),
    "status": (str,),
    "output": (str,),
    "visibility": (str,),
}


@pytest.fixture(scope="module")
def exported(graded_cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    files = export_gradebook(gradebook=graded_cohort.gradebook, out_dir=out)
    return graded_cohort, out, files


def test_gradescope_files_have_exactly_the_documented_fields(exported):
    cohort, out, _ = exported
    paths = sorted((out / "gradescope").glob("*/probe/results.json"))
    assert len(paths) == len(cohort.expected)
    for path in paths:
        data = json.loads(path.read_text())
        assert set(data) == set(GRADESCOPE_TOP_LEVEL), path
        for field, types in GRADESCOPE_TOP_LEVEL.items():
            assert isinstance(data[field], types) and not isinstance(data[field], bool), (path, field)
        assert data["execution_time"] >= 0
        assert len(data["tests"]) == 5
        for test in data["tests"]:
            assert set(test) == set(GRADESCOPE_TEST)
            for field, types in GRADESCOPE_TEST.items():
                assert isinstance(test[field], types) and not isinstance(test[field], bool), (path, field)
            assert test["status"] in ("passed", "failed")
            assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
            assert 0 <= test["score"] <= test["max_score"]
        assert data["score"] == pytest.approx(sum(test["score"] for test in data["tests"]))
        assert data["score"] == cohort.expected[path.parent.parent.name.rsplit("-", 1)[0]]
    hidden = json.loads((out / "gradescope" / file_name_for("full_zip") / "probe" / "results.json").read_text())[
        "tests"
    ][-1]
    assert hidden["visibility"] == "after_published"


def test_junit_xml_parses_with_a_suite_per_submission(exported):
    cohort, out, _ = exported
    root = ElementTree.parse(out / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert root.tag == "testsuites" and len(suites) == len(cohort.expected)
    for suite in suites:
        candidate = suite.get("name").split("/")[0]
        cases = suite.findall("testcase")
        failed = [case for case in cases if case.find("failure") is not None or case.find("error") is not None]
        assert int(suite.get("tests")) == len(cases) == 5
        assert int(suite.get("failures")) + int(suite.get("errors")) == len(failed)
        if candidate == "no_probe":  # nothing handed in: every check skipped, none failed
            assert int(suite.get("skipped")) == 5 and not failed
            continue
        assert (not failed) == (cohort.expected[candidate] == 6.0), candidate
        for case in failed:
            element = case.find("failure")
            assert element is not None and element.get("message") and element.get("type")
    loop = next(suite for suite in suites if suite.get("name") == "infinite_loop/probe")
    assert [case.find("failure").get("type") for case in loop if case.find("failure") is not None] == ["timeout"]


def test_junit_xml_survives_characters_xml_cannot_hold():
    check = CheckResult(
        "test_public.py::test_add",
        "add\x00 works",
        2,
        outcome=Outcome.FAILED,
        output="expected 1\x1b[31m, got \x07 2\udcff",
        candidate_output="\x00\x01 printed",
    )
    entry = GradebookEntry(
        "eve\x0b",
        "probe",
        TaskKey("s", "g", "local", 0, True),
        "eve",
        RunResult(exercise="probe", seed=0, checks=[check]),
        "now",
    )
    text = ElementTree.tostring(junit_xml([entry]).getroot(), encoding="unicode")
    parsed = ElementTree.fromstring(text)
    assert parsed.find("testsuite/testcase/failure").get("message").startswith("expected 1")


def test_csv_wide_and_long(exported):
    cohort, out, _ = exported
    with open(out / "grades_wide.csv", newline="") as stream:
        wide = list(csv.DictReader(stream))
    assert list(wide[0]) == [
        "candidate",
        "name",
        "email",
        "probe",
        "probe status",
        "probe days late",
        "total",
        "max_total",
    ]
    assert {row["candidate"]: float(row["probe"]) for row in wide} == cohort.expected
    for row in wide:  # a partial score is 'partial', never 'fail'
        expected = cohort.expected[row["candidate"]]
        status = (
            "missing"
            if row["candidate"] == "no_probe"
            else ("full" if expected == 6 else "zero" if expected == 0 else "partial")
        )
        assert row["probe status"] == status, row
        assert row["probe days late"] == "0"
    assert all(row["total"] == row["probe"] and row["max_total"] == "6" for row in wide)
    with open(out / "grades_long.csv", newline="") as stream:
        long = list(csv.DictReader(stream))
    assert len(long) == 5 * len(cohort.expected)
    assert {row["check_id"] for row in long} == {
        "test_public.py::test_add",
        "test_public.py::test_scale",
        "test_public.py::test_is_positive",
        "test_public.py::test_count",
        "test_hidden.py::test_add_large",
    }
    loop_scale = next(row for row in long if row["candidate"] == "infinite_loop" and row["check_id"].endswith("scale"))
    assert (loop_scale["outcome"], loop_scale["score"], loop_scale["max_score"]) == ("timeout", "0", "1")
    assert "CPU seconds" in loop_scale["message"]


def test_json_export_holds_every_result(exported):
    cohort, out, _ = exported
    data = json.loads((out / "gradebook.json").read_text())
    assert data["exercises"] == ["probe"]
    assert {item["candidate"]: item["total"] for item in data["candidates"]} == cohort.expected
    first = data["candidates"][0]["results"][0]
    assert {"task_key", "submission_hash", "grader_hash", "image", "seed", "result"} <= set(first)


def test_export_command_on_an_existing_gradebook(graded_cohort, tmp_path):
    outcome = CliRunner().invoke(export_command, [str(graded_cohort.gradebook), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "out" / "grades_wide.csv").is_file()
    missing = CliRunner().invoke(export_command, [str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "no gradebook" in " ".join(missing.output.split())
    assert not (tmp_path / "none.sqlite").exists()


def test_file_names_for_candidates_are_safe_and_distinct():
    assert file_name_for("alice").startswith("alice-")
    identities = ("../etc", "a/b", "a_b", "a b", "", "..", "Alice Smith", "Alice_Smith-8ae10dfc", "\udcff", "\ufffd")
    names = {file_name_for(identity) for identity in identities}
    assert len(names) == len(identities)
    assert all("/" not in name and not name.startswith(".") for name in names)


def test_gradebook_refuses_a_file_that_is_not_one(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("not a database, just text that is long enough to be read as a header" * 10)
    with pytest.raises(ValueError, match="not a usable gradebook"):
        Gradebook(path)
