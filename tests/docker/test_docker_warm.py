"""Warm containers: in watch mode and batches the next run's container starts before its submission is known.

The standby container imports its exercise's libraries and waits for its submission folder (mounted
empty) and its spec; it still serves exactly one submission and is removed afterwards.
"""

import pytest

from harness.host.backends import standby
from harness.host.backends.docker import _Container
from harness.host.grading import grade_submission

pytestmark = pytest.mark.docker


def test_runs_kept_warm_grade_in_standby_containers_with_the_same_scores(probe_graders, docker_backend, tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    source = probe_graders.parent.parent / "scenarios" / "scores_full_marks" / "probe.py"  # tests/scenarios
    (submission / "probe.py").write_text(source.read_text())
    options = {
        "path": submission,
        "exercise": "probe",
        "backend": "docker",
        "include_hidden": True,
        "data_secret": "cd" * 16,
    }
    cold = grade_submission(**options)
    used = []
    with standby.keep_warm():
        for _ in range(2):
            waiting = [item.name for item in standby.STANDBYS._waiting if isinstance(item, _Container)]
            result = grade_submission(**options)
            assert (result.score, result.status.value) == (cold.score, cold.status.value), result.error
            assert [check.outcome for check in result.checks] == [check.outcome for check in cold.checks]
            still = [item.name for item in standby.STANDBYS._waiting if isinstance(item, _Container)]
            used.append(bool(waiting) and waiting[0] not in still)
            assert len(still) == 1, "one standby container waits for the next run"
        last = still[0]
    assert used == [False, True]
    names = [name.lstrip("/") for entry in docker_backend.client.api.containers(all=True) for name in entry["Names"]]
    assert last not in names, "leaving keep_warm removes the standby container"
