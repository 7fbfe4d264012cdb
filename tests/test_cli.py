"""The grade command: exit codes, the table, the JSON result and the exercise list."""

import json

import pytest
from click.testing import CliRunner

from harness.host.cli import main

pytestmark = pytest.mark.integration  # grades submissions end to end: not in make test-fast

SCENARIOS = __import__("pathlib").Path(__file__).parent / "scenarios"


def invoke(*arguments):
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


def test_graded_submission_exits_0_whatever_its_score(probe_graders, tmp_path):
    outcome = invoke(
        str(SCENARIOS / "not_implemented_scores_0"),
        "--exercise",
        "probe",
        "--backend",
        "local",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert outcome.exit_code == 0, outcome.output
    assert "not implemented" in outcome.output and "Total: 0 / 5" in outcome.output
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["score"] == 0 and result["max_score"] == 5 and len(result["tests"]) == 4
    assert "1 hidden point (1 check) not run here" in " ".join(outcome.output.split())


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


def test_folder_without_the_module_file_is_bad_input(probe_graders, tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "other.py").write_text("")
    outcome = invoke(str(folder), "--backend", "local")
    assert outcome.exit_code == 2 and "has no probe.py" in " ".join(outcome.output.split())


def test_list_shows_points_and_budgets(probe_graders):
    outcome = invoke("list")
    assert outcome.exit_code == 0
    assert "probe" in outcome.output and "5 + 1" in outcome.output and "40 CPU-s" in outcome.output


def test_an_empty_folder_a_zip_and_a_foreign_file_are_bad_input(probe_graders, tmp_path):
    empty = tmp_path / "probe"
    empty.mkdir()
    archive = tmp_path / "probe.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))
    text = tmp_path / "probe.txt"
    text.write_text("def add(a, b): return a + b\n")
    for path in (empty, archive, text):
        outcome = invoke(str(path), "--exercise", "probe", "--backend", "local")
        assert outcome.exit_code == 2, (path.name, outcome.output)


def test_a_result_the_host_rejects_is_a_grading_error(probe_graders, tmp_path, monkeypatch):
    from harness.host.backends.base import RunOutput
    from harness.host.backends.local import LocalBackend

    def forged(self, request, *, on_progress=None):
        return RunOutput(result={"version": 2, "status": "pass", "score": 99})  # not a valid result

    monkeypatch.setattr(LocalBackend, "run", forged)
    outcome = invoke(
        str(SCENARIOS / "scores_full_marks"),
        "--exercise",
        "probe",
        "--backend",
        "local",
        "--json",
        str(tmp_path / "r.json"),
    )
    assert outcome.exit_code == 3, outcome.output
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "error"


def test_ctrl_c_exits_130(probe_graders, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    command = [
        sys.executable,
        "-m",
        "harness.host.cli",
        str(SCENARIOS / "infinite_loop_times_out_scale"),
        "--exercise",
        "probe",
        "--backend",
        "local",
    ]
    process = subprocess.Popen(
        command,
        env=dict(os.environ, GRADE_GRADERS_DIR=str(probe_graders)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # A terminal's Ctrl-C, even when this suite runs in the background (``cmd &`` ignores SIGINT, and a
        # Python started with SIGINT ignored never raises KeyboardInterrupt).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    deadline = time.monotonic() + 120  # not a fixed sleep: on a loaded machine the CLI may still be importing
    while time.monotonic() < deadline and not _worker_below(process.pid):
        time.sleep(0.2)
    assert _worker_below(process.pid), "the grading run never started its worker"
    time.sleep(1.0)  # the worker is grading: the endless scale() call comes next
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output.decode(errors="replace")[-2000:]


def _worker_below(ancestor: int) -> bool:
    """Whether a process below ``ancestor`` (the CLI) runs the candidate's worker."""
    from pathlib import Path

    from harness.grader.containment import descendants

    for pid in descendants(ancestor):
        try:
            if b"harness.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            continue  # ended meanwhile
    return False


def test_markup_in_candidate_output_is_shown_not_rendered(probe_graders, tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    source = (SCENARIOS / "scores_full_marks" / "probe.py").read_text()
    (folder / "probe.py").write_text(
        source.replace(
            "def add(a, b):\n", "def add(a, b):\n    print('\\x1b[32m[bold green]Total: 99 / 5[/bold green]')\n"
        )
    )
    outcome = invoke(str(folder), "--exercise", "probe", "--backend", "local", "-v")
    assert outcome.exit_code == 0
    assert "[bold green]Total: 99 / 5[/bold green]" in outcome.output and "\x1b" not in outcome.output


def test_watch_grades_again_on_every_save_and_shows_what_changed(probe_graders, tmp_path):
    import io
    import threading
    import time

    from rich.console import Console

    from harness.host.watch import watch_submission

    folder = tmp_path / "probe"
    folder.mkdir()
    full = (SCENARIOS / "scores_full_marks" / "probe.py").read_text()
    (folder / "probe.py").write_text(full.replace("return x * factor", "return x"))
    results, stop, shown = [], threading.Event(), io.StringIO()
    watcher = threading.Thread(
        target=watch_submission,
        kwargs={
            "path": folder,
            "exercise_slug": "probe",
            "seed": 0,
            "backend": "local",
            "console": Console(file=shown, width=100),
            "stop": stop,
            "on_result": results.append,
        },
    )
    watcher.start()
    try:
        for expected_runs, source in ((1, None), (2, full), (3, full.replace("return a + b", "return a - b"))):
            if source is not None:
                (folder / "probe.py").write_text(source)
            deadline = time.monotonic() + 60
            while len(results) < expected_runs and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(results) == expected_runs, shown.getvalue()
    finally:
        stop.set()
        watcher.join(timeout=60)
    assert [result.score for result in results] == [4.0, 5.0, 3.0]
    text = shown.getvalue()
    assert "now passing: test_scale" in text and "now failing: test_add" in text
