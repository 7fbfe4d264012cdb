"""Shared data and fixtures of the actor_critic checks: the run's corridor and the candidate's agent, trained once.

The corridor is the one the exercise module gives (``Corridor``): 5 to 7 cells,
a slip probability drawn from [0, 0.1), at most 3 steps per cell, +1 for
reaching the last cell, episodes starting in a random cell.  The grader makes
it in the worker with parameters drawn from the run's secret and lets the
candidate's ``train`` learn there once.  It then verifies the trained actor
(``verify_keras_model``: rebuilt here from its architecture and weights, and
proven to compute what the candidate's does on secret inputs), reads the
rebuild's probabilities in every cell and computes *itself* the exact expected
discounted return of that policy, of a freshly built actor (the initial
policy) and of the best policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from critic_tasks import TRAIN_DEADLINE_SECONDS, TRAINING, CorridorTask, corridor_task, read_probabilities, verified

from harness.checks import Handle, expect_array, expect_finite, expect_shape, expect_type


@dataclass
class Trained:
    """What ``train`` returned, and the policy of its (verified) actor in every cell."""

    actor: Handle
    critic: Handle
    returns: np.ndarray
    probabilities: np.ndarray
    call: str


@pytest.fixture(scope="session")
def corridor(secret, worker_seed) -> CorridorTask:
    """The run's corridor."""
    return corridor_task(secret.rng("corridor"), worker_seed)


@pytest.fixture(scope="session")
def trained(submission, secret, corridor) -> Trained:
    """The candidate's train() run once on the run's corridor."""
    return train_agent(submission, corridor, rng=secret.rng("trained actor"))


def train_agent(submission, corridor: CorridorTask, *, rng: np.random.Generator) -> Trained:
    """Run the candidate's train() on ``corridor``; read the policy of its verified actor in every cell."""
    model = corridor.model
    env = submission.Corridor(model.length, model.slip, model.max_steps, seed=corridor.env_seed)
    arguments = ", ".join(f"{key}={value}" for key, value in TRAINING.items())
    call = f"train({model.describe()}, {arguments}, seed={corridor.train_seed})"
    value = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(env, **TRAINING, seed=corridor.train_seed)
    hint = "the return statement of train: (actor, critic, returns)"
    triple = expect_type(value, (tuple, list), what=f"what {call} returns", hint=hint)
    expect_shape(np.zeros(len(triple)), (3,), what=f"the tuple {call} returns, (actor, critic, returns),", hint=hint)
    actor, critic, returns = triple
    returns = expect_finite(
        expect_shape(
            expect_array(returns, what=f"returns from {call}"),
            (TRAINING["num_episodes"],),
            what=f"returns from {call}",
            hint="train: one total reward per episode",
        ),
        what=f"returns from {call}",
    ).astype(np.float64)
    rebuilt = verified(submission, actor, what=f"the actor from {call}", rng=rng, input_dim=model.length)
    probabilities = read_probabilities(
        rebuilt.predict(model.states)[0],
        rows=model.length,
        actions=2,
        what=f"the probabilities of the actor from {call} in every cell",
    )
    return Trained(actor, critic, returns, probabilities, call)
