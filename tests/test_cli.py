"""The grade command: exit codes, the table, the JSON result and the exercise list."""

import json

from click.testing import CliRunner

from harness.host.cli import main

SCENARIOS = __import__("pathlib").Path(__file__).parent / "scenarios"


def invoke(*arguments):
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


def test_graded_submission_exits_0_whatever_its_score(probe_graders, tmp_path):
    outcome = invoke(str(SCENARIOS / "not_implemented_scores_0"), "--exercise", "probe", "--backend", "local",
                     "--json", str(tmp_path / "r.json"))
    assert outcome.exit_code == 0, outcome.output
    assert "not implemented" in outcome.output and "Total: 0 / 5" in outcome.output
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["score"] == 0 and result["max_score"] == 5 and len(result["tests"]) == 4
    assert "1 hidden check(s) are not run here" in outcome.output


def test_fail_under_exits_1_below_the_threshold(probe_graders):
    path = str(SCENARIOS / "missing_function_fails_count")
    below = invoke(path, "--exercise", "probe", "--backend", "local", "--fail-under", "90")
    above = invoke(path, "--exercise", "probe", "--backend", "local", "--fail-under", "75")
    assert (below.exit_code, above.exit_code) == (1, 0)


def test_bad_input_exits_2(probe_graders, tmp_path):
    assert invoke(str(tmp_path / "nowhere")).exit_code == 2
    folder = tmp_path / "unknown_exercise"
    folder.mkdir()
    outcome = invoke(str(folder))
    assert outcome.exit_code == 2 and "--exercise" in outcome.output


def test_missing_module_file_is_graded_as_zero(probe_graders, tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "other.py").write_text("")
    outcome = invoke(str(folder), "--backend", "local")
    assert outcome.exit_code == 0 and "has no probe.py" in outcome.output


def test_list_shows_points_and_budgets(probe_graders):
    outcome = invoke("list")
    assert outcome.exit_code == 0
    assert "probe" in outcome.output and "5 + 1" in outcome.output and "40 s" in outcome.output
