"""Hidden checks of the actor_critic exercise: the TD target is a constant, and the actor's step goes the right way."""

from __future__ import annotations

import numpy as np
import pytest

from critic_tasks import (
    GAMMA,
    Batch,
    copy_weights,
    entropies,
    largest_difference,
    read_probabilities,
    read_step,
    read_values,
    step_call,
    weights_of,
)
from harness.checks import expect_at_least, expect_at_most
from harness.checks import CheckFailed

# test_critic_target_is_constant: two equal critics, stepped on batches whose next states differ but whose TD
# targets are equal (the rewards make up the difference), must end equal.  The reference's largest difference is
# at most 3e-8 on 20 seeds (float32 rounding of the targets, CALIBRATION.md); a target that is not detached sends
# gradients through V(s') and moves them apart by 0.04 or more (seeds 0-4).  1e-5 sits far from both.
SAME_WEIGHTS_TOLERANCE = 1e-5

# test_actor_follows_advantage / test_entropy_bonus: the rise of the objective after one small SGD step is
# first-order positive for a correct step, negative for a step the wrong way.  The reference's rises are 0.12 or
# more (objective) and 0.024 or more (entropy) on 20 seeds (CALIBRATION.md); an actor loss or an entropy with the
# wrong sign gives -0.04 or less (seeds 0-4).  1e-6 only asks for the right direction.
MIN_RISE = 1e-6


@pytest.mark.points(2)
def test_critic_target_is_constant(submission, rng, measure):
    """The critic moves V(s) towards a fixed TD target: no gradient flows through V(s')."""
    state_dim, num_actions, gamma = 4, 2, GAMMA
    first_critic, second_critic = submission.build_critic(state_dim), submission.build_critic(state_dim)
    copy_weights(submission, first_critic, second_critic, what="the critic", rng=rng)
    first_actor, second_actor = submission.build_actor(state_dim, num_actions), submission.build_actor(state_dim,
                                                                                                       num_actions)
    copy_weights(submission, first_actor, second_actor, what="the actor", rng=rng)
    size = 12
    states = rng.normal(size=(size, state_dim)).astype(np.float32)
    actions = rng.integers(num_actions, size=size)
    dones = np.zeros(size, dtype=np.float32)
    first_next, second_next = (rng.normal(size=(size, state_dim)).astype(np.float32) for _ in range(2))
    first_values = read_values(first_critic.predict_on_batch(first_next), rows=size, what="critic.predict(next_states)")
    second_values = read_values(first_critic.predict_on_batch(second_next), rows=size,
                                what="critic.predict(next_states)")
    rewards = rng.normal(size=size)
    batches = (Batch(states, actions, rewards.astype(np.float32), first_next, dones),
               Batch(states, actions, (rewards + gamma * (first_values - second_values)).astype(np.float32),
                     second_next, dones))
    before = weights_of(submission, first_critic, what="the critic", rng=rng)
    for actor, critic, batch in ((first_actor, first_critic, batches[0]), (second_actor, second_critic, batches[1])):
        read_step(submission.train_step(actor, critic, submission.make_optimizer(0.1, "sgd"),
                                        submission.make_optimizer(0.1, "sgd"), *batch.arguments(), gamma, 0.0),
                  what=step_call(batch, gamma, 0.0))
    after_first = weights_of(submission, first_critic, what="the first critic", rng=rng)
    if largest_difference(before, after_first) < 1e-6:
        raise CheckFailed("train_step did not change the critic's weights. Look at how it applies the critic's "
                          "gradients with critic_optimizer.")
    difference = measure("critic weight difference",
                         largest_difference(after_first, weights_of(submission, second_critic, what="the critic", rng=rng)))
    expect_at_most(
        difference, SAME_WEIGHTS_TOLERANCE,
        metric=("the largest difference between two critics that started equal and took one train_step on batches "
                "with different next states but the same TD targets"),
        baseline="the critic's update should depend on the targets' values only",
        hint="the critic loss: the TD target r + gamma * V(s') * (1 - done) is a constant (tf.stop_gradient); only "
             "V(s) is moved")


@pytest.mark.points(2)
def test_actor_follows_advantage(submission, rng, measure):
    """One step raises log pi of actions with a positive advantage against those with a negative one."""
    state_dim, num_actions, gamma = 4, 3, GAMMA
    actor, critic = submission.build_actor(state_dim, num_actions), submission.build_critic(state_dim)
    states = np.repeat(rng.normal(size=(2, state_dim)), num_actions, axis=0).astype(np.float32)
    actions = np.tile(np.arange(num_actions), 2)
    advantages = np.concatenate([rng.permutation([1.0, -1.0, 0.0]) for _ in range(2)])
    next_states = rng.normal(size=states.shape).astype(np.float32)
    rows = len(actions)
    values = read_values(critic.predict_on_batch(states), rows=rows, what="critic.predict(states)")
    next_values = read_values(critic.predict_on_batch(next_states), rows=rows, what="critic.predict(next_states)")
    # rewards chosen so that r + gamma * V(s') - V(s) is the advantage wanted
    batch = Batch(states, actions, (values + advantages - gamma * next_values).astype(np.float32), next_states,
                  np.zeros(rows, dtype=np.float32))

    def objective() -> float:
        probabilities = read_probabilities(actor.predict_on_batch(states), rows=len(actions), actions=num_actions,
                                           what="actor.predict(states)")
        return float(np.sum(advantages * np.log(probabilities[np.arange(len(actions)), actions])))

    before = objective()
    read_step(submission.train_step(actor, critic, submission.make_optimizer(0.1, "sgd"),
                                    submission.make_optimizer(0.0, "sgd"), *batch.arguments(), gamma, 0.0),
              what=step_call(batch, gamma, 0.0))
    rise = measure("objective_rise", objective() - before)
    expect_at_least(
        rise, MIN_RISE,
        metric=("the change of sum(A * log pi(a | s)) after one train_step (SGD, learning rate 0.1, entropy "
                "coefficient 0) on two states where each of 3 actions had an advantage of +1, -1 or 0"),
        baseline="gradient descent on the actor loss raises it",
        hint="the sign of the actor loss: -mean(log pi(a|s) * A), minimised")


@pytest.mark.points(1)
def test_entropy_bonus(submission, rng, measure):
    """With zero advantages, the entropy bonus alone makes the policy more random."""
    state_dim, num_actions, gamma = 4, 3, GAMMA
    actor, critic = submission.build_actor(state_dim, num_actions), submission.build_critic(state_dim)
    states = (3.0 * rng.normal(size=(8, state_dim))).astype(np.float32)   # large inputs: a far from uniform policy
    next_states = rng.normal(size=states.shape).astype(np.float32)
    values = read_values(critic.predict_on_batch(states), rows=8, what="critic.predict(states)")
    next_values = read_values(critic.predict_on_batch(next_states), rows=8, what="critic.predict(next_states)")
    # rewards chosen so that every advantage r + gamma * V(s') - V(s) is 0
    batch = Batch(states, rng.integers(num_actions, size=8), (values - gamma * next_values).astype(np.float32),
                  next_states, np.zeros(8, dtype=np.float32))

    def entropy() -> float:
        return float(entropies(read_probabilities(actor.predict_on_batch(states), rows=8, actions=num_actions,
                                                  what="actor.predict(states)")).mean())

    before = entropy()
    read_step(submission.train_step(actor, critic, submission.make_optimizer(0.1, "sgd"),
                                    submission.make_optimizer(0.0, "sgd"), *batch.arguments(), gamma, 1.0),
              what=step_call(batch, gamma, 1.0))
    rise = measure("entropy_rise", entropy() - before)
    expect_at_least(
        rise, MIN_RISE,
        metric=(f"the change of the policy's mean entropy (it was {before:.4f}) after one train_step with zero "
                "advantages and entropy_coefficient=1.0"),
        baseline="the entropy bonus should raise it",
        hint="the entropy term of the actor loss: - entropy_coefficient * entropy, with entropy = "
             "-sum_a pi(a|s) log pi(a|s) (a bonus, so minimising the loss raises the entropy)")
