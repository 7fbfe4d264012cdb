"""Shared data and fixtures of the actor_critic checks: the run's corridor and the candidate's agent, trained once.

The corridor is the one the exercise module gives (``Corridor``): 5 to 7 cells,
a slip probability drawn from [0, 0.1), at most 3 steps per cell, +1 for
reaching the last cell, episodes starting in a random cell.  The grader makes
it in the worker with parameters drawn from the run's seed and lets the
candidate's ``train`` learn there once.  It then reads the trained actor's
probabilities in every cell (``predict``) and computes *itself* the exact
expected discounted return of that policy, of a freshly built actor (the
initial policy) and of the best policy.

The grader process never imports TensorFlow: networks stay in the worker and
come back as handles; their outputs and weights come back as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from critic_tasks import (
    TRAIN_DEADLINE_SECONDS,
    TRAINING,
    CorridorTask,
    corridor_task,
    read_probabilities,
)
from harness.checks import expect_array, expect_finite, expect_shape
from harness.checks import CheckFailed
from harness.checks import Handle


@dataclass
class Trained:
    """What ``train`` returned, and the policy of its actor in every cell."""

    actor: Handle
    critic: Handle
    returns: np.ndarray
    probabilities: np.ndarray
    call: str


@pytest.fixture(scope="session")
def corridor(data_seed) -> CorridorTask:
    """The run's corridor."""
    return corridor_task(data_seed)


@pytest.fixture(scope="session")
def trained(submission, corridor) -> Trained:
    """The candidate's train() run once on the run's corridor."""
    env = submission.Corridor(corridor.length, corridor.slip, corridor.max_steps, seed=corridor.env_seed)
    arguments = ", ".join(f"{key}={value}" for key, value in TRAINING.items())
    call = f"train({corridor.describe()}, {arguments}, seed={corridor.train_seed})"
    value = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(env, **TRAINING, seed=corridor.train_seed)
    if isinstance(value, Handle) or not isinstance(value, (tuple, list)) or len(value) != 3:
        found = value.type_name if isinstance(value, Handle) else type(value).__name__
        raise CheckFailed(f"{call} should return (actor, critic, returns), but it returned {found}. Look at the "
                          "return statement of train.")
    actor, critic, returns = value
    if not isinstance(actor, Handle) or not isinstance(critic, Handle):
        raise CheckFailed(f"{call} should return the actor and the critic (keras.Model objects) first.")
    returns = expect_finite(expect_shape(expect_array(returns, what=f"returns from {call}"),
                                         (TRAINING["num_episodes"],), what=f"returns from {call}",
                                         hint="train: one total reward per episode"),
                            what=f"returns from {call}").astype(np.float64)
    probabilities = read_probabilities(actor.predict_on_batch(corridor.states), rows=corridor.length, actions=2,
                                       what=f"the probabilities of the actor from {call} in every cell")
    return Trained(actor, critic, returns, probabilities, call)
