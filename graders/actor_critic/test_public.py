"""Public checks of the actor_critic exercise: TD targets, the networks, one training step, and training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from critic_tasks import (
    GAMMA,
    copy_weights,
    entropies,
    largest_difference,
    random_batch,
    read_probabilities,
    read_step,
    read_values,
    step_call,
    weights_of,
)
from harness.checks import expect_at_least, expect_at_most, expect_close, expect_type, verify_keras_model
from harness.checks import CheckFailed

# (rewards, next_values, dones, gamma, expected TD targets, what the case shows), worked out by hand.
TD_CASES = [
    ([1.0, 0.0, 2.0], [0.5, 2.0, -1.0], [0, 0, 0], 0.9, [1.45, 1.8, 1.1], "no episode ends"),
    ([1.0, 0.0, 2.0], [0.5, 2.0, -1.0], [0, 1, 0], 0.9, [1.45, 0.0, 1.1], "done = 1 cuts the bootstrap"),
    ([1.0, -1.0], [5.0, 5.0], [1, 1], 0.99, [1.0, -1.0], "every step ends its episode: the target is the reward"),
    ([0.5, 0.25], [3.0, -2.0], [0, 0], 0.0, [0.5, 0.25], "gamma = 0: the target is the reward"),
    ([1.0, 1.0, 0.0], [2.0, 2.0, 4.0], [0, 1, 0], 1.0, [3.0, 1.0, 4.0], "gamma = 1"),
]

# Tolerances for train_step's three numbers, compared with the grader's computation from the networks' outputs
# before the step: float32 networks, so 1e-4 absolute plus 1e-3 relative.  The reference agrees to 2e-7 or better
# (CALIBRATION.md, 20 seeds); a missing minus sign, a sum instead of a mean or a bootstrap through done = 1 is off
# by O(0.1) or more.
STEP_ATOL = 1e-4
STEP_RTOL = 1e-3

# test_critic_update_ignores_actor: two critics with the same weights, stepped with different actors and actions,
# must end with the same weights.  The reference's largest difference is 0 on 20 seeds (CALIBRATION.md); an
# advantage that is not detached moves them apart by 1e-2 or more.  1e-5 leaves room for float32 arithmetic
# done in a different order.
SAME_WEIGHTS_TOLERANCE = 1e-5

# test_training_improves_policy: the exact expected discounted return of the trained policy, as a share of the way
# from the initial policy (a fresh build_actor, 0) to the best policy (1).  The reference reaches 0.90 or more on
# 20 seeds (CALIBRATION.md, median 0.998); an agent that does not learn stays near 0, and one whose actor loss has
# the wrong sign goes below 0 (-0.2 to -0.9, seeds 0-4).  0.5 leaves a margin of 0.4 below the reference's worst.
MIN_SHARE_OF_BEST = 0.5


def _td_call(rewards, next_values, dones, gamma) -> str:
    return f"td_target(rewards={rewards}, next_values={next_values}, dones={dones}, gamma={gamma})"


@pytest.mark.points(2)
def test_td_target_hand_cases(submission):
    """td_target gives r + gamma * V(s') * (1 - done) on hand-worked cases, done = 1 cutting the bootstrap."""
    for rewards, next_values, dones, gamma, expected, label in TD_CASES:
        found = submission.td_target(np.array(rewards, dtype=np.float32), np.array(next_values, dtype=np.float32),
                                     np.array(dones, dtype=np.float32), gamma)
        expect_close(found, np.array(expected), what=f"{_td_call(rewards, next_values, dones, gamma)} ({label})",
                     rtol=1e-6, atol=1e-6,
                     hint="rewards + gamma * next_values * (1 - dones): where an episode ended there is no next "
                          "state to bootstrap from")


@pytest.mark.points(1)
def test_advantage_hand_cases(submission, rng):
    """advantage is the TD target minus V(s), on a hand-worked case and on random arrays."""
    rewards, values, next_values, dones = [1.0, 0.0, 0.5], [0.2, 1.0, 0.5], [0.5, 2.0, 3.0], [0, 1, 0]
    cases = [(rewards, values, next_values, dones, 0.9, [1.25, -1.0, 2.7])]
    random_arrays = [rng.normal(size=6).round(3).tolist() for _ in range(3)]
    random_dones = (rng.random(6) < 0.4).astype(float).tolist()
    target = np.array(random_arrays[0]) + 0.8 * np.array(random_arrays[2]) * (1 - np.array(random_dones))
    cases.append((*random_arrays, random_dones, 0.8, (target - np.array(random_arrays[1])).tolist()))
    for rewards, values, next_values, dones, gamma, expected in cases:
        found = submission.advantage(*(np.array(array, dtype=np.float32) for array in (rewards, values, next_values,
                                                                                        dones)), gamma)
        expect_close(found, np.array(expected),
                     what=f"advantage(rewards={rewards}, values={values}, next_values={next_values}, "
                          f"dones={dones}, gamma={gamma})", rtol=1e-5, atol=1e-5,
                     hint="advantage = td_target(rewards, next_values, dones, gamma) - values")


@pytest.mark.points(2)
def test_networks(submission, rng):
    """build_actor gives (batch, actions) probabilities; build_critic gives (batch, 1) values from a linear output."""
    for state_dim, num_actions in ((5, 3), (4, 2)):
        states = rng.normal(size=(7, state_dim)).astype(np.float32)
        actor = submission.build_actor(state_dim, num_actions)
        read_probabilities(actor.predict_on_batch(states), rows=7, actions=num_actions,
                           what=f"build_actor({state_dim}, {num_actions}).predict(states) for 7 states")
        critic = submission.build_critic(state_dim)
        read_values(critic.predict_on_batch(states), rows=7,
                    what=f"build_critic({state_dim}).predict(states) for 7 states")
        activation = verify_keras_model(submission, critic, probe_inputs=states,
                                        what=f"build_critic({state_dim})").output_activation()
        if activation not in (None, "linear"):
            raise CheckFailed(f"the last layer of build_critic({state_dim}) has the activation "
                              f"{activation!r}, so it cannot output every value a state may have "
                              "(negative, or above 1). Look at the critic's output layer: Dense(1) with no activation.")


def _pre_step_numbers(actor, critic, batch, gamma, entropy_coefficient, num_actions):
    """The grader's own actor loss, critic loss and entropy of ``batch``, from the networks' outputs now."""
    size = len(batch.actions)
    probabilities = read_probabilities(actor.predict_on_batch(batch.states), rows=size, actions=num_actions,
                                       what="actor.predict(states)")
    values = read_values(critic.predict_on_batch(batch.states), rows=size, what="critic.predict(states)")
    next_values = read_values(critic.predict_on_batch(batch.next_states), rows=size,
                              what="critic.predict(next_states)")
    targets = batch.rewards + gamma * next_values * (1.0 - batch.dones)
    advantages = targets - values
    entropy = float(entropies(probabilities).mean())
    chosen = np.log(np.clip(probabilities[np.arange(size), batch.actions], 1e-8, 1.0))
    actor_loss = float(-np.mean(chosen * advantages) - entropy_coefficient * entropy)
    critic_loss = float(np.mean((targets - values) ** 2))
    return actor_loss, critic_loss, entropy


@pytest.mark.points(2)
def test_train_step_reports(submission, rng, measure):
    """train_step returns the batch's actor loss, critic loss and entropy (>= 0), and updates both networks."""
    state_dim, num_actions, gamma, entropy_coefficient = 4, 3, GAMMA, 0.05
    actor, critic = submission.build_actor(state_dim, num_actions), submission.build_critic(state_dim)
    batch = random_batch(rng, 10, state_dim, num_actions, dones=[0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
    expected = _pre_step_numbers(actor, critic, batch, gamma, entropy_coefficient, num_actions)
    actor_before = weights_of(submission, actor, what="the actor", rng=rng)
    critic_before = weights_of(submission, critic, what="the critic", rng=rng)
    call = step_call(batch, gamma, entropy_coefficient) + " (3 actions, 3 of the 10 transitions with done = 1)"
    found = read_step(submission.train_step(actor, critic, submission.make_optimizer(0.05, "sgd"),
                                            submission.make_optimizer(0.05, "sgd"), *batch.arguments(), gamma,
                                            entropy_coefficient), what=call)
    entropy = found[2]
    if not -1e-6 <= entropy <= math.log(num_actions) + 1e-5:
        raise CheckFailed(f"the entropy from {call} is {entropy:.4g}, but the entropy of a policy over "
                          f"{num_actions} actions lies between 0 and log({num_actions}) = "
                          f"{math.log(num_actions):.4f}. Look at its sign: entropy = -sum_a pi(a|s) log pi(a|s).")
    hints = ("-mean(log pi(a|s) * A) - entropy_coefficient * entropy, with A = td_target - V(s) from the critic "
             "before the update",
             "mean((td_target - V(s)) ** 2), with done = 1 cutting the bootstrap",
             "the mean over the batch of -sum_a pi(a|s) log pi(a|s), before the update")
    worst = 0.0
    for name, value, want, hint in zip(("actor_loss", "critic_loss", "entropy"), found, expected, hints):
        worst = max(worst, abs(value - want))
        if abs(value - want) > STEP_ATOL + STEP_RTOL * abs(want):
            raise CheckFailed(f"{name} from {call} is {value:.6g}, but the networks' outputs before the step give "
                              f"{want:.6g}. Look at {hint}.")
    measure("max abs difference of the three numbers", worst)
    for name, model, before in (("actor", actor, actor_before), ("critic", critic, critic_before)):
        change = largest_difference(before, weights_of(submission, model, what=f"the {name}", rng=rng))
        if change < 1e-7:
            raise CheckFailed(f"{call} did not change the {name}'s weights. Look at how train_step applies the "
                              f"{name}'s gradients with the {name}'s optimizer.")


@pytest.mark.points(2)
def test_critic_update_ignores_actor(submission, rng, measure):
    """No actor gradient reaches the critic: two equal critics stepped with different actors end equal."""
    state_dim, num_actions, gamma, entropy_coefficient = 4, 3, GAMMA, 0.1
    first_critic, second_critic = submission.build_critic(state_dim), submission.build_critic(state_dim)
    copy_weights(submission, first_critic, second_critic, what="the critic", rng=rng)
    first_actor, second_actor = submission.build_actor(state_dim, num_actions), submission.build_actor(state_dim,
                                                                                                       num_actions)
    copy_weights(submission, first_actor, second_actor, what="the actor", scale=2.0, rng=rng, noise=0.5)
    first = random_batch(rng, 12, state_dim, num_actions, dones=(rng.random(12) < 0.25))
    second = random_batch(rng, 12, state_dim, num_actions)
    second.states, second.rewards, second.next_states, second.dones = (first.states, first.rewards,
                                                                       first.next_states, first.dones)
    before = weights_of(submission, first_critic, what="the critic", rng=rng)
    for actor, critic, batch in ((first_actor, first_critic, first), (second_actor, second_critic, second)):
        read_step(submission.train_step(actor, critic, submission.make_optimizer(0.1, "sgd"),
                                        submission.make_optimizer(0.1, "sgd"), *batch.arguments(), gamma,
                                        entropy_coefficient), what=step_call(batch, gamma, entropy_coefficient))
    after_first = weights_of(submission, first_critic, what="the first critic", rng=rng)
    after_second = weights_of(submission, second_critic, what="the second critic", rng=rng)
    if largest_difference(before, after_first) < 1e-6:
        raise CheckFailed(f"{step_call(first, gamma, entropy_coefficient)} did not change the critic's weights. "
                          "Look at how train_step applies the critic's gradients with critic_optimizer.")
    difference = measure("critic weight difference", largest_difference(after_first, after_second))
    expect_at_most(
        difference, SAME_WEIGHTS_TOLERANCE,
        metric=("the largest difference between two critics that started with the same weights and took one "
                "train_step on the same states, rewards, next states and dones, but with different actors and actions"),
        baseline="the critic's update must depend only on the critic loss",
        hint="how the advantage enters the actor loss: it must be a constant (tf.stop_gradient), otherwise the "
             "actor loss sends gradients into the critic")


@pytest.mark.points(3)
def test_training_improves_policy(submission, corridor, trained, measure):
    """train learns a fresh corridor: its policy's expected return rises far above the initial policy's."""
    initial = read_probabilities(submission.build_actor(corridor.length, 2).predict_on_batch(corridor.states),
                                 rows=corridor.length, actions=2,
                                 what=f"a fresh build_actor({corridor.length}, 2) in every cell")
    value, start, best = corridor.value(trained.probabilities), corridor.value(initial), corridor.best_value
    share = measure("share_of_best", (value - start) / (best - start))
    measure("expected_return", value)
    expect_at_least(
        share, MIN_SHARE_OF_BEST,
        metric=(f"the expected discounted return of the policy from {trained.call}, as a share of the way from the "
                f"initial policy (0, {start:.3f}) to the best policy (1, {best:.3f}); it gets {value:.3f}"),
        baseline="an agent that does not learn stays near 0",
        hint="train (sample actions from the actor, one train_step per episode) and train_step (the sign of the "
             "actor loss, the advantage, the TD target)")
