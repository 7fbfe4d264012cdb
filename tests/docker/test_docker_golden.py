"""The golden scenarios again, on the docker backend: the same submissions, the same scores and outcomes.

Every attack and failure the local backend is proved against (hangs, memory hogs, os._exit, patching
the grader, regenerated labels...) must end the same way inside a container.
"""

import pytest
from test_golden_scenarios import SCENARIOS, assert_scenario_holds

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda path: path.name)
def test_scenario_on_docker(scenario, probe_graders, docker_backend):
    assert_scenario_holds(scenario, backend="docker")
