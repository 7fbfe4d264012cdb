"""Public checks of the policy_gradient exercise: returns, the softmax policy and its gradient, the update, training."""

from __future__ import annotations

import numpy as np
import pytest
from _shared.corridor import draw_corridor
from policy_tasks import call_text, policy_probabilities, read_episodes, read_training, reinforce_step

from harness.checks import expect_at_least, expect_at_most, expect_changed, expect_close, expect_finite, expect_shape

# (rewards, dones, gamma, expected returns, what the case shows), worked out by hand.
RETURN_CASES = [
    ([1.0, 1.0, 1.0], [0, 0, 1], 0.9, [2.71, 1.9, 1.0], "one episode of three steps"),
    (
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [0, 1, 0, 0, 1],
        0.5,
        [2.0, 2.0, 6.25, 6.5, 5.0],
        "two episodes: the sum restarts after the first ends",
    ),
    ([1.0, 0.0, 1.0], [1, 1, 1], 0.99, [1.0, 0.0, 1.0], "three one-step episodes (a bandit)"),
    ([3.0, -1.0, 2.0], [0, 0, 1], 0.0, [3.0, -1.0, 2.0], "gamma = 0: each return is its own reward"),
    ([1.0, 1.0, 1.0, 1.0], [0, 1, 0, 1], 1.0, [2.0, 1.0, 2.0, 1.0], "gamma = 1: undiscounted sums per episode"),
    ([-1.0, -1.0, -1.0], [1, 0, 0], 0.5, [-1.0, -1.5, -1.0], "an episode, then one cut off by the end of the batch"),
    (
        [0.0, 0.0, 10.0, 0.0, 0.0, 10.0],
        [0, 0, 1, 0, 0, 1],
        0.8,
        [6.4, 8.0, 10.0, 6.4, 8.0, 10.0],
        "two identical episodes get identical returns",
    ),
]

# test_log_softmax_gradient_numeric: central differences of the grader's own float64 log-softmax with a step of
# 1e-5 are accurate to about 1e-10; correct solutions agree to 1.4e-10 or better (CALIBRATION.md, 20 seeds of the
# reference and its variants).  A gradient without the -pi term, or with a sign error, is off by O(1).  1e-6
# leaves a margin of 1000 times.
GRADIENT_STEP = 1e-5
GRADIENT_TOLERANCE = 1e-6

# test_bandit_training: the expected reward of the final policy, as a share of the way from the uniform policy
# (0) to always pulling the best arm (1).  Correct solutions (the reference and its variants, 20 seeds each) reach
# 0.971 or more (CALIBRATION.md, median 0.988); a policy that never learns (actions taken greedily: theta stays 0)
# scores exactly 0, and gradient descent -0.26 to -0.91 (seeds 0-9).  0.6 leaves a margin of 0.37 below the worst
# correct run.
BANDIT_MIN_SHARE_OF_BEST = 0.6
# The average reward train reports over the last quarter of the iterations, on the same scale (0 = what the
# uniform policy earns, 1 = the best arm's probability).  Correct solutions report 0.86 or more (CALIBRATION.md,
# median 0.995, at most 1.095); averages that never rise stay near 0 (standard deviation about 0.05).  0.5 sits
# between both.  Above 1 + 0.1 / (best - uniform) the numbers cannot be averages of 0/1 rewards (e.g. sums over
# the episodes).
BANDIT_MIN_REPORTED_SHARE = 0.5

# test_train_first_iteration: train(num_iterations=1) on small slippery corridors, with every other argument away
# from its default, against run_episodes on an identical corridor with the same seed and the grader's own
# REINFORCE step on those episodes: exact up to float64 rounding.
FIRST_ITERATION_CORRIDOR = {
    "lengths": (4, 7),
    "slips": (0.1, 0.3),
    "steps_per_cell": 3,
    "step_reward": -1.0,
    "goal_reward": -1.0,
}
FIRST_ITERATION_CASES = (
    {"episodes_per_iteration": 6, "gamma": 0.8, "learning_rate": 0.05, "baseline": False},
    {"episodes_per_iteration": 4, "gamma": 0.95, "learning_rate": 0.3, "baseline": True},
)
FIRST_ITERATION_SEED_OFFSET = 20  # seeds given to the worker: its own seed plus 20, 21, ...


def _returns_call(rewards, dones, gamma) -> str:
    return f"discounted_returns(rewards={rewards}, dones={dones}, gamma={gamma})"


@pytest.mark.points(2)
def test_returns_hand_cases(submission):
    """discounted_returns gives the exact returns-to-go on hand-worked cases, restarting where an episode ends."""
    for rewards, dones, gamma, expected, label in RETURN_CASES:
        call = _returns_call(rewards, dones, gamma)
        found = submission.discounted_returns(np.array(rewards), np.array(dones, dtype=np.float64), gamma)
        expect_close(
            found,
            np.array(expected),
            what=f"{call} ({label})",
            rtol=1e-9,
            atol=1e-9,
            hint="G[t] = rewards[t] + gamma * G[t + 1], computed from the last step backwards, with "
            "the sum restarting (no gamma * G[t + 1] term) where dones[t] is 1",
        )
    rewards, dones = [1.0, 2.0, 3.0], [False, True, True]
    found = submission.discounted_returns(np.array(rewards), np.array(dones), 0.5)
    expect_close(
        found,
        np.array([2.0, 2.0, 3.0]),
        what=_returns_call(rewards, dones, 0.5) + " (dones as booleans)",
        rtol=1e-9,
        atol=1e-9,
        hint="how dones is turned into numbers (a boolean array works like 0/1)",
    )


@pytest.mark.points(1)
def test_softmax_policy(submission, rng):
    """softmax_policy matches softmax(features @ theta) for one state and a batch, even for large preferences."""
    theta = rng.normal(size=(3, 4))
    one = rng.normal(size=3)
    batch = rng.normal(size=(6, 3))
    expect_close(
        submission.softmax_policy(theta, one),
        policy_probabilities(theta, one),
        what="softmax_policy(theta, features) for theta of shape (3, 4) and one state of 3 features",
        rtol=1e-7,
        atol=1e-9,
        hint="softmax(features @ theta): the probabilities have shape (num_actions,)",
    )
    expect_close(
        submission.softmax_policy(theta, batch),
        policy_probabilities(theta, batch),
        what="softmax_policy(theta, features) for a batch of 6 states, features of shape (6, 3)",
        rtol=1e-7,
        atol=1e-9,
        hint="the axis of the softmax: normalise each row (axis=-1) separately",
    )
    for row, label in (
        ([[1000.0, 999.0, 0.0]], "preferences 1000, 999 and 0"),
        ([[-1000.0, -1000.0]], "preferences -1000 and -1000"),
        ([[800.0, 0.0, -800.0, 790.0]], "preferences 800, 0, -800 and 790"),
    ):
        theta = np.array(row)
        what = f"softmax_policy(theta={row}, features=[1.0]) ({label})"
        found = expect_shape(submission.softmax_policy(theta, np.ones(1)), (theta.shape[1],), what=what)
        expect_finite(
            found,
            what=what,
            hint="overflow in np.exp: subtract the largest preference first (softmax(z) = softmax(z - max z))",
        )
        expect_close(
            found,
            policy_probabilities(theta, np.ones(1)),
            what=what,
            rtol=1e-7,
            atol=1e-12,
            hint="overflow in np.exp: subtract the largest preference first",
        )


def _log_policy(theta: np.ndarray, features: np.ndarray, action: int) -> float:
    return float(np.log(policy_probabilities(theta, features)[action]))


@pytest.mark.points(2)
def test_log_softmax_gradient_numeric(submission, rng, measure):
    """log_softmax_gradient equals a finite-difference gradient of log pi(a | s) with respect to theta."""
    worst = 0.0
    for scale in (0.5, 3.0):
        theta = scale * rng.normal(size=(3, 4))
        features = rng.normal(size=3)
        for action in range(4):
            numeric = np.zeros_like(theta)
            for index in np.ndindex(theta.shape):
                step = np.zeros_like(theta)
                step[index] = GRADIENT_STEP
                numeric[index] = (
                    _log_policy(theta + step, features, action) - _log_policy(theta - step, features, action)
                ) / (2 * GRADIENT_STEP)
            what = (
                f"log_softmax_gradient(theta, state_features, action={action}) for theta of shape (3, 4) "
                f"(entries of size ~{scale})"
            )
            found = expect_shape(
                submission.log_softmax_gradient(theta, features, action),
                theta.shape,
                what=what,
                hint="the gradient has the shape of theta: outer(features, ...)",
            )
            size = np.maximum(1.0, float(np.max(np.abs(numeric))))
            worst = np.maximum(worst, float(np.max(np.abs(expect_finite(found, what=what) - numeric))) / size)
            expect_close(
                found,
                numeric,
                what=what,
                rtol=0.0,
                atol=GRADIENT_TOLERANCE * size,
                hint="the formula outer(features, one_hot(action) - probabilities): the probabilities of "
                "every action enter it, not only the one-hot part",
            )
    measure("log10 max relative error", float(np.log10(np.maximum(worst, 1e-18))))


def _bandit_batch(rewarded: int, arms: int, pulls: int) -> dict:
    """``pulls`` one-step episodes pulling every arm in turn; only arm ``rewarded`` pays (1)."""
    actions = np.arange(pulls) % arms
    return {
        "features": np.ones((pulls, 1)),
        "actions": actions.astype(np.int64),
        "rewards": (actions == rewarded).astype(np.float64),
        "dones": np.ones(pulls),
    }


@pytest.mark.points(2)
def test_update_raises_rewarded_action(submission, rng):
    """One reinforce_update raises the probability of the action that was rewarded (with and without baseline)."""
    arms = 4
    for baseline in (False, True):
        theta = 0.3 * rng.normal(size=(1, arms))
        rewarded = int(rng.integers(arms))
        batch = _bandit_batch(rewarded, arms, pulls=12)
        call = (
            f"reinforce_update(theta, episodes, gamma=0.0, learning_rate=2.0, baseline={baseline}) on 12 pulls "
            f"of a 4-armed bandit where only arm {rewarded} paid"
        )
        updated = expect_shape(
            submission.reinforce_update(theta, batch, 0.0, 2.0, baseline=baseline),
            theta.shape,
            what=call,
            hint="reinforce_update returns the new theta, of the shape of theta",
        )
        expect_finite(updated, what=call)
        before = policy_probabilities(theta, np.ones(1))[rewarded]
        after = policy_probabilities(updated, np.ones(1))[rewarded]
        # The exact REINFORCE step raises it by 0.045 or more for these batches (5000 random thetas tried).
        expect_at_least(
            after,
            before + 0.02,
            metric=f"the probability of arm {rewarded} after {call}",
            baseline=f"it was {before:.3f} before the update",
            hint="the sign of the step: REINFORCE is gradient ascent, theta + learning_rate * gradient",
        )


@pytest.mark.points(1)
def test_update_scales_with_learning_rate(submission, rng):
    """reinforce_update's step is proportional to the learning rate (and 0 for a learning rate of 0)."""
    theta = 0.3 * rng.normal(size=(1, 3))
    batch = _bandit_batch(int(rng.integers(3)), 3, pulls=9)
    steps = {}
    for learning_rate in (0.0, 0.1, 0.3):
        call = f"reinforce_update(theta, episodes, gamma=0.0, learning_rate={learning_rate})"
        updated = expect_shape(submission.reinforce_update(theta, batch, 0.0, learning_rate), theta.shape, what=call)
        steps[learning_rate] = expect_finite(updated, what=call) - theta
    expect_at_most(
        float(np.max(np.abs(steps[0.0]))),
        1e-12,
        metric="the largest change of theta with learning_rate=0.0",
        hint="theta + learning_rate * gradient: is learning_rate used?",
    )
    expect_changed(
        [theta],
        [theta + steps[0.1]],
        what="theta after reinforce_update with learning_rate=0.1 on a batch where one arm paid and the others did not",
        at_least=1e-9,
        hint="the gradient of the update",
    )
    expect_close(
        steps[0.3],
        3 * steps[0.1],
        what="the step (new theta - theta) with learning_rate=0.3",
        rtol=1e-6,
        atol=1e-12,
        hint="the step should be 3 times the step with learning_rate=0.1: theta + learning_rate * gradient",
    )


def _first_iteration(submission, rng, worker_seed, index: int, case: dict) -> None:
    """Run train for one iteration and run_episodes with the same seeds; compare with the grader's REINFORCE step."""
    model = draw_corridor(rng, **FIRST_ITERATION_CORRIDOR)
    env_seed = worker_seed + FIRST_ITERATION_SEED_OFFSET + 2 * index
    seed = env_seed + 1
    episodes = case["episodes_per_iteration"]
    training = {"num_iterations": 1, **case}
    environment = f"{model.describe()[:-1]}, seed={env_seed})"
    call = call_text(environment, training, seed)
    theta_shape = (model.length, 2)

    def corridor():
        return submission.Corridor(model.length, model.slip, model.max_steps, seed=env_seed)

    trained = read_training(
        submission.train(corridor(), **training, seed=seed), call=call, theta_shape=theta_shape, iterations=1
    )
    episodes_call = f"run_episodes({environment}, theta=zeros({theta_shape}), {episodes}, rng={seed})"
    batch = read_episodes(
        submission.run_episodes(corridor(), np.zeros(theta_shape), episodes, seed),
        call=episodes_call,
        num_features=model.length,
        num_actions=2,
        episodes=episodes,
    )
    same_episodes = (
        "train must play each iteration's episodes with run_episodes(env, theta, episodes_per_iteration, "
        "rng), rng = np.random.default_rng(seed) made once for the whole training, so that its first "
        f"iteration plays the episodes of {episodes_call}"
    )
    expect_close(
        trained.average_rewards,
        [batch["rewards"].sum() / episodes],
        rtol=1e-9,
        atol=1e-9,
        what=f"average_rewards from {call} (the average total reward of the episodes of {episodes_call})",
        hint=f"the average train records for an iteration (the total reward of its episodes divided by "
        f"episodes_per_iteration), and {same_episodes}",
    )
    expect_close(
        trained.theta,
        reinforce_step(np.zeros(theta_shape), batch, case["gamma"], case["learning_rate"], case["baseline"]),
        rtol=1e-6,
        atol=1e-9,
        what=f"theta from {call} (one REINFORCE step from zeros on the episodes of {episodes_call})",
        hint=f"train: theta starts at zeros, then one reinforce_update(theta, episodes, gamma, learning_rate, "
        f"baseline=baseline) with the arguments train was given; and {same_episodes}",
    )


@pytest.mark.points(2)
def test_train_first_iteration(submission, rng, worker_seed):
    """train's first iteration plays run_episodes' episodes (generator from seed) and makes one exact update."""
    for index, case in enumerate(FIRST_ITERATION_CASES):
        _first_iteration(submission, rng, worker_seed, index, case)


@pytest.mark.statistical
@pytest.mark.points(3)
def test_bandit_training(bandit, bandit_training, measure):
    """train learns to pull the best arm of a fresh bandit; the average rewards it reports rise to match."""
    value = bandit.value(bandit_training.theta)
    share = measure("share_of_best", (value - bandit.random_value) / (bandit.best_value - bandit.random_value))
    measure("expected_reward", value)
    rewards = bandit_training.average_rewards
    quarter = len(rewards) // 4
    late = float(rewards[-quarter:].mean())
    reported = measure("reported_late_share", (late - bandit.random_value) / (bandit.best_value - bandit.random_value))
    expect_at_least(
        share,
        BANDIT_MIN_SHARE_OF_BEST,
        metric=(
            f"the expected reward of the policy from {bandit_training.call}, as a share of the way from "
            f"the uniform policy (0, expected reward {bandit.random_value:.3f}) to always pulling the best arm "
            f"(1, {bandit.best_value:.3f}); it earns {value:.3f}"
        ),
        baseline="a policy that never learns stays near 0",
        hint="train (start from theta = 0, play episodes with run_episodes, update with reinforce_update) and the "
        "sign of the step (gradient ascent)",
    )
    what = f"the average reward that {bandit_training.call} reports for its last {quarter} iterations ({late:.3f})"
    expect_at_least(
        reported,
        BANDIT_MIN_REPORTED_SHARE,
        metric=f"{what}, on the same scale",
        baseline=f"the uniform policy earns {bandit.random_value:.3f} per pull",
        hint="the average_rewards train records: the total reward of each iteration's episodes divided by their number",
    )
    expect_at_most(
        late,
        bandit.best_value + 0.1,
        metric=what,
        baseline=f"the best arm pays {bandit.best_value:.3f} on average, plus a margin of 0.1",
        hint="the average_rewards train records: the total reward of each iteration's episodes divided by their number",
    )
