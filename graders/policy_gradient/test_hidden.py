"""Hidden checks of the policy_gradient exercise: the exact REINFORCE step, sampling, and training on a corridor."""

from __future__ import annotations

import numpy as np
import pytest

from harness.checks import expect_array, expect_at_least, expect_at_most, expect_close, expect_shape, expect_type
from harness.checks import CheckFailed
from policy_tasks import policy_probabilities

# test_sampling_follows_the_policy: Pearson's chi-square statistic of the action counts of 3000 pulls against the
# policy's probabilities (3 degrees of freedom).  Sampling from the policy gives below 30 with probability
# 1 - 1.4e-6 (the reference's largest value on 20 seeds is 10.7, CALIBRATION.md); always taking the most
# probable action gives about 3700.
SAMPLED_PULLS = 3000
SAMPLING_PROBABILITIES = np.array([0.45, 0.3, 0.15, 0.1])
MAX_CHI_SQUARE = 30.0

# test_corridor_policy: the expected return of each final policy from cell 0, as a share of the way from the
# uniform policy (0) to the best policy (1), both computed exactly here, averaged over the run's 4 corridors.
# The reference's mean is 0.95 or more (CALIBRATION.md, 20 seeds; 0.94 or more on 60 more tried while designing).
# Broken solutions, on 60 seeds (mean of 4 drawn from them): returns that run on across episode ends at most
# 0.46, returns accumulated forwards at most 0.57, actions taken greedily at most 0.57, gradient descent below 0.
# Noisier but sound variants pass: no baseline 0.91 or more, a gradient without the -pi term 0.79 or more.
# 0.7 sits between both groups.
CORRIDOR_MIN_SHARE_OF_BEST = 0.7


def _reference_step(theta, batch, gamma: float, learning_rate: float, baseline: bool) -> np.ndarray:
    """The grader's own REINFORCE step, vectorised over the batch."""
    rewards, dones = batch["rewards"], batch["dones"]
    to_go = np.zeros(len(rewards))
    following = 0.0
    for step in range(len(rewards) - 1, -1, -1):
        following = rewards[step] + (0.0 if dones[step] else gamma * following)
        to_go[step] = following
    if baseline:
        to_go = to_go - np.mean(to_go)
    probabilities = policy_probabilities(theta, batch["features"])
    chosen = np.eye(theta.shape[1])[batch["actions"]]
    ascent = batch["features"].T @ (to_go[:, None] * (chosen - probabilities))
    return theta + learning_rate * ascent / np.sum(dones)


def _random_batch(rng: np.random.Generator, features: int, actions: int) -> dict:
    lengths = np.concatenate([[1], rng.integers(2, 6, size=3)])   # a one-step episode and three longer ones
    rng.shuffle(lengths)
    steps = int(lengths.sum())
    dones = np.zeros(steps)
    dones[np.cumsum(lengths) - 1] = 1.0
    return {"features": rng.normal(size=(steps, features)), "actions": rng.integers(actions, size=steps),
            "rewards": rng.normal(size=steps), "dones": dones}


@pytest.mark.points(2)
def test_update_matches_reinforce(submission, rng):
    """reinforce_update makes exactly the REINFORCE step on a batch of several episodes, with and without baseline."""
    theta = 0.5 * rng.normal(size=(3, 3))
    batch = _random_batch(rng, 3, 3)
    lengths = np.diff(np.concatenate([[-1], np.flatnonzero(batch["dones"])])).astype(int).tolist()
    for baseline in (False, True):
        expected = _reference_step(theta, batch, 0.9, 0.37, baseline)
        call = (f"reinforce_update(theta, episodes, gamma=0.9, learning_rate=0.37, baseline={baseline}) on "
                f"{len(lengths)} episodes of lengths {lengths} (3 features, 3 actions)")
        expect_close(submission.reinforce_update(theta, batch, 0.9, 0.37, baseline=baseline), expected,
                     what=call, rtol=1e-7, atol=1e-9,
                     hint="the step: learning_rate * sum over steps of (G[t] - b) * grad log pi(a_t | s_t), divided "
                          "by the number of episodes (sum of dones), with G from discounted_returns and b the mean "
                          "of G when baseline is True")


@pytest.mark.points(1)
def test_sampling_follows_the_policy(submission, corridor, rng, measure):
    """run_episodes samples actions from the policy and lays whole episodes end to end."""
    env = submission.Bandit(np.full(4, 0.5), seed=int(rng.integers(2**31)))
    theta = np.log(SAMPLING_PROBABILITIES)[np.newaxis, :]
    call = f"run_episodes(Bandit(<4 arms>), theta, {SAMPLED_PULLS}, rng)"
    batch = expect_type(submission.run_episodes(env, theta, SAMPLED_PULLS, int(rng.integers(2**31))), dict,
                        what=f"what {call} returns", hint="run_episodes returns a dict of arrays")
    missing = {"features", "actions", "rewards", "dones"} - set(batch)
    if missing:
        raise CheckFailed(f"{call} returned a dict without the keys {sorted(missing)}.")
    expect_shape(batch["features"], (SAMPLED_PULLS, 1), what=f"episodes['features'] from {call}")
    actions = expect_shape(batch["actions"], (SAMPLED_PULLS,), what=f"episodes['actions'] from {call}")
    dones = expect_shape(batch["dones"], (SAMPLED_PULLS,), what=f"episodes['dones'] from {call}")
    if not np.all(dones == 1):
        raise CheckFailed(f"every bandit episode is one step, so episodes['dones'] from {call} should be all 1.")
    counts = np.bincount(actions.astype(np.int64), minlength=4)[:4]
    expected = SAMPLED_PULLS * SAMPLING_PROBABILITIES
    chi_square = measure("chi_square", float(np.sum((counts - expected) ** 2 / expected)))
    expect_at_most(chi_square, MAX_CHI_SQUARE,
                   metric=(f"the chi-square distance between the action counts {counts.tolist()} and the expected "
                           f"counts {expected.round().astype(int).tolist()} of the policy"),
                   hint="how run_episodes picks an action: sample it from softmax_policy's probabilities with the "
                        "generator (rng.choice(num_actions, p=probabilities)), do not take the most probable one")

    env = submission.Corridor(corridor.length, corridor.slip, corridor.max_steps, seed=int(rng.integers(2**31)))
    theta = rng.normal(size=(corridor.length, 2))
    call = f"run_episodes(Corridor(length={corridor.length}, max_steps={corridor.max_steps}), theta, 15, rng)"
    batch = expect_type(submission.run_episodes(env, theta, 15, int(rng.integers(2**31))), dict, what=call)
    dones = expect_array(batch.get("dones"), what=f"episodes['dones'] from {call}").astype(np.float64).ravel()
    features = expect_shape(batch.get("features"), (len(dones), corridor.length),
                            what=f"episodes['features'] from {call}")
    ends = np.flatnonzero(dones == 1)
    if len(ends) != 15 or ends[-1] != len(dones) - 1:
        last = ends[-1] if len(ends) else None
        raise CheckFailed(f"{call} should hold 15 whole episodes, each ending with done = 1, but dones has "
                          f"{len(ends)} ones in {len(dones)} steps, the last at step {last}.")
    starts = np.concatenate([[0], ends[:-1] + 1])
    if np.any(np.diff(np.concatenate([[-1], ends])) > corridor.max_steps):
        raise CheckFailed(f"an episode of {call} is longer than max_steps={corridor.max_steps}.")
    first_cells = features[starts].argmax(axis=1)
    if np.any(first_cells != 0) or not np.allclose(features[starts].sum(axis=1), 1.0):
        raise CheckFailed(f"every episode of {call} starts in cell 0, so the features recorded at its first step "
                          "should be the one-hot code of cell 0. Look at which features run_episodes records: "
                          "those of the state the action was taken in (before env.step).")


@pytest.mark.points(2)
def test_corridor_policy(corridors, corridor_trainings, measure):
    """train learns to walk down fresh corridors: far fewer expected steps than the uniform policy."""
    shares, lines = [], []
    for corridor, training in zip(corridors, corridor_trainings):
        value = corridor.value(training.theta)
        random_value, best_value = corridor.random_value, corridor.best_value
        shares.append((value - random_value) / (best_value - random_value))
        lines.append(f"{training.call}: expected return {value:.2f} (uniform policy {random_value:.2f}, best "
                     f"policy {best_value:.2f}), share {shares[-1]:.2f}")
    share = measure("mean_share_of_best", float(np.mean(shares)))
    measure("worst_share_of_best", min(shares))
    expect_at_least(
        share, CORRIDOR_MIN_SHARE_OF_BEST,
        metric=(f"the expected return from cell 0 of the policies train learned on {len(shares)} corridors, as a "
                "share of the way from the uniform policy (0) to the best policy (1), averaged over the corridors "
                "(" + "; ".join(lines) + ")"),
        baseline="a policy that never learns stays near 0",
        hint="the returns of multi-step episodes (discounted_returns restarting at episode ends) and the update")
