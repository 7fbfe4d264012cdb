"""Fixtures of the batch tests: the cohort of probe submissions, graded once per session."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.host.batch.cli import batch_command

from .batch_cohort import FIXTURE_GRADERS, Cohort, make_cohort


@pytest.fixture(scope="session")
def graded_cohort(tmp_path_factory) -> Cohort:
    """Grade the cohort once, with -j 2, on the local backend; every test that only reads it shares it."""
    cohort = make_cohort(tmp_path_factory.mktemp("cohort") / "submissions")
    gradebook = cohort.submissions.parent / "gradebook.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADE_GRADERS_DIR", str(FIXTURE_GRADERS))
        outcome = CliRunner().invoke(
            batch_command, [str(cohort.submissions), "--gradebook", str(gradebook), "-j", "2", "--backend", "local"]
        )
    assert outcome.exit_code == 0, outcome.output + repr(outcome.exception)
    return Cohort(cohort.submissions, cohort.expected, cohort.messages, gradebook, outcome.output)
