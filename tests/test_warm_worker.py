"""Warm workers: started (and their exercise's libraries imported) before a submission is assigned.

A warm worker is still one process per submission. These tests prove it holds nothing from any
earlier submission (its pid, its modules apart from the preloads, its /tmp are its own), that the
submission's seed still reaches it, and that watch mode and batches really grade on warm workers.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from harness.grader.proxy import Submission
from harness.host.backends import standby
from harness.host.grading import grade_submission
from harness.project import WorkerLimits

pytestmark = pytest.mark.integration

OBSERVER = textwrap.dedent(
    """
    import json, os, sys, tempfile

    import numpy as np

    BASELINE = set(sys.modules)  # what the worker had imported before this module


    def leave_traces(tag):
        sys.modules["left_by_" + tag] = sys
        with open(os.path.join(tempfile.gettempdir(), "left_by_" + tag), "w") as handle:
            handle.write(tag)
        return os.getpid()


    def observe():
        return json.dumps({
            "pid": os.getpid(),
            "modules_left": sorted(name for name in sys.modules if name.startswith("left_by_")),
            "tmp": sorted(os.listdir(tempfile.gettempdir())),
            "numpy_preloaded": "numpy" in BASELINE,
            "draw": float(np.random.random()),
        })
    """
)


def _warm_submission(module_file, *, seed: int) -> Submission:
    """A standby proxy (its worker imports numpy first), then assigned ``module_file``."""
    submission = Submission(None, seed=0, limits=WorkerLimits(), preload=("numpy",))
    submission.spawn()
    submission.assign(module_file, seed=seed)
    return submission


def test_a_warm_worker_holds_nothing_of_an_earlier_submission(tmp_path):
    module_file = tmp_path / "observer.py"
    module_file.write_text(OBSERVER)
    first = _warm_submission(module_file, seed=7)
    second = Submission(None, seed=0, limits=WorkerLimits(), preload=("numpy",))
    second.spawn()  # warm while the first still runs, as in a batch
    try:
        first_pid = first.call("leave_traces", "first")
        seen_by_first = json.loads(first.call("observe"))
        assert seen_by_first["modules_left"] == ["left_by_first"] and "left_by_first" in seen_by_first["tmp"]
        second.assign(module_file, seed=7)
        seen = json.loads(second.call("observe"))
    finally:
        first.close()
        second.close()
    assert seen["pid"] != first_pid, "a fresh process per submission"
    assert seen["modules_left"] == [], "no module of the earlier submission"
    assert seen["tmp"] == [], "a fresh, empty /tmp"
    assert seen["numpy_preloaded"], "the preload was imported before the submission"
    assert seen["draw"] == seen_by_first["draw"], "the same seed draws the same numbers"


def test_the_assigned_seed_reaches_a_warm_worker(tmp_path):
    module_file = tmp_path / "observer.py"
    module_file.write_text(OBSERVER)
    draws = []
    for seed in (1, 2):
        submission = _warm_submission(module_file, seed=seed)
        try:
            draws.append(json.loads(submission.call("observe"))["draw"])
        finally:
            submission.close()
    assert draws[0] != draws[1]


def test_a_batch_of_runs_kept_warm_grades_on_standbys_with_the_same_scores(probe_graders, tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    source = (
        probe_graders.parent.parent / "scenarios" / "scores_full_marks" / "probe.py"
    ).read_text()  # tests/scenarios
    (submission / "probe.py").write_text(source)
    cold = grade_submission(
        path=submission, exercise="probe", backend="local", include_hidden=True, data_secret="ab" * 16
    )
    with standby.keep_warm():
        scores, standbys_used = [], []
        for _ in range(3):
            waiting = [launched.process.pid for launched in standby.STANDBYS._waiting]
            result = grade_submission(
                path=submission, exercise="probe", backend="local", include_hidden=True, data_secret="ab" * 16
            )
            scores.append((result.score, result.status.value))
            still = [launched.process.pid for launched in standby.STANDBYS._waiting]
            standbys_used.append(bool(waiting) and waiting[0] not in still)
            assert len(still) == 1, "one standby waits for the next run"
        kept = standby.STANDBYS._waiting[0].process
    assert kept.poll() is not None and standby.STANDBYS._waiting == [], "leaving keep_warm ends the standbys"
    assert scores == [(cold.score, cold.status.value)] * 3
    assert standbys_used == [False, True, True]
