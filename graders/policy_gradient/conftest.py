"""Shared data and fixtures of the policy_gradient checks: the run's environments and the trainings, done once.

Both environments are the ones the exercise module gives (``Bandit`` and
``Corridor``); the grader makes them in the worker with parameters drawn from
the run's secret, lets the candidate's ``train`` learn a policy there, and then
judges the policy it returns (``theta``) *itself*: the expected reward of a
softmax policy in these small environments has a closed form (the bandit) or
is computed exactly by backward induction over the steps left (the corridor),
with the grader's own softmax.

- **Bandit**: 4 to 8 arms paying 1 or 0; every arm pays 1 with a probability
  drawn from [0.1, 0.5), except one arm, drawn from [0.75, 0.9).
- **Corridors**: 4 of them, each of 5 to 7 cells, with a slip probability
  drawn from [0, 0.15), at most 3 steps per cell, -1 per step.

The environments' and the trainings' seeds are the worker's seed plus fixed
offsets: they let the worker predict nothing the grader keeps.
"""

from __future__ import annotations

import pytest
from policy_tasks import (
    BANDIT_TRAINING,
    CORRIDOR_TRAINING,
    TRAIN_DEADLINE_SECONDS,
    BanditTask,
    CorridorTask,
    Training,
    bandit_task,
    call_text,
    corridor_tasks,
    read_training,
)


@pytest.fixture(scope="session")
def bandit(secret, worker_seed) -> BanditTask:
    """The run's bandit: the arms' probabilities stay here; the worker's Bandit draws the rewards."""
    return bandit_task(secret.rng("bandit"), worker_seed)


@pytest.fixture(scope="session")
def bandit_training(submission, bandit) -> Training:
    """The candidate's train() run once on the run's bandit."""
    env = submission.Bandit(bandit.means, seed=bandit.env_seed)
    call = call_text(f"Bandit(<{bandit.arms} arms>)", BANDIT_TRAINING, bandit.train_seed)
    value = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(env, **BANDIT_TRAINING, seed=bandit.train_seed)
    return read_training(value, call=call, theta_shape=(1, bandit.arms), iterations=BANDIT_TRAINING["num_iterations"])


@pytest.fixture(scope="session")
def corridors(secret, worker_seed) -> list[CorridorTask]:
    """The run's corridors."""
    return corridor_tasks(secret.rng("corridors"), worker_seed)


@pytest.fixture(scope="session")
def corridor_trainings(submission, corridors) -> list[Training]:
    """The candidate's train() run once on each of the run's corridors."""
    trainings = []
    for corridor in corridors:
        model = corridor.model
        env = submission.Corridor(model.length, model.slip, model.max_steps, seed=corridor.env_seed)
        call = call_text(model.describe(), CORRIDOR_TRAINING, corridor.train_seed)
        value = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(
            env, **CORRIDOR_TRAINING, seed=corridor.train_seed
        )
        trainings.append(
            read_training(
                value, call=call, theta_shape=(model.length, 2), iterations=CORRIDOR_TRAINING["num_iterations"]
            )
        )
    return trainings
