"""The golden scenarios again, on the docker backend: the same submissions, the same scores and outcomes.

Every attack and failure the local backend is proved against (hangs, memory hogs, os._exit, patching
the grader, regenerated labels...) must end the same way inside a container.
"""

import pytest
from test_golden_scenarios import SCENARIOS, assert_scenario_holds

pytestmark = pytest.mark.docker


# Where docker differs from local, and why. In a container the grader (root, without SYS_PTRACE) cannot read
# the memory of the worker's forked children (another uid), so six children of 80 MB are not summed against
# the worker's 300 MB: they sleep until the call is stopped as idle, and the container's own memory limit is
# what caps children there (tests/docker/test_docker_limits.py).
DOCKER_OUTCOMES = {"memory_split_across_children_out_of_memory": {"test_public.py::test_count": "timeout"}}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda path: path.name)
def test_scenario_on_docker(scenario, probe_graders, docker_backend):
    assert_scenario_holds(scenario, backend="docker", outcomes=DOCKER_OUTCOMES.get(scenario.name, {}))
