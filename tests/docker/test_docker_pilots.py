"""The pilot solutions score full marks in docker, check for check as on the local backend."""

import pytest

from harness.host.grading import grade_submission
from harness.project import get_exercise

PILOTS = ["cnn", "conv_layer", "word2vec"]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("slug", PILOTS)
def test_pilot_solution_scores_the_same_in_docker_and_locally(slug, docker_backend):
    exercise = get_exercise(slug)
    results = {
        backend: grade_submission(
            path=exercise.solution_dir, exercise=slug, seed=0, backend=backend, include_hidden=True
        )
        for backend in ("docker", "local")
    }
    docker, local = results["docker"], results["local"]
    assert docker.backend == "docker" and docker.image and docker.image.startswith("ml-grader:")
    assert docker.score == docker.max_score, [(c.check_id, c.output) for c in docker.checks if c.score < c.max_score]
    assert [(c.check_id, c.outcome, c.score) for c in docker.checks] == [
        (c.check_id, c.outcome, c.score) for c in local.checks
    ]
