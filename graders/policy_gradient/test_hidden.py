"""Hidden checks of the policy_gradient exercise: the exact REINFORCE step, sampling, training on corridors, and the
environments' parameters."""

from __future__ import annotations

import numpy as np
import pytest
from _shared.corridor import (
    PROBE_LENGTHS,
    PROBE_MAX_STEPS,
    CorridorModel,
    draw_corridor,
    expect_corridor_follows_parameters,
)
from policy_tasks import read_episodes, reinforce_step

from harness.checks import (
    expect_at_least,
    expect_at_most,
    expect_close,
    expect_runs_differ,
    expect_scalar,
    expect_scalar_close,
    expect_shape,
    expect_subset,
    expect_type,
)

# test_sampling_follows_the_policy: Pearson's chi-square statistic of the action counts of 3000 pulls against the
# policy's probabilities (3 degrees of freedom).  Sampling from the policy gives below 30 with probability
# 1 - 1.4e-6 (correct solutions, the reference and its variants on 20 seeds, stay at 11.5 or below, CALIBRATION.md);
# always taking the most probable action gives about 3700.
SAMPLED_PULLS = 3000
SAMPLING_PROBABILITIES = np.array([0.45, 0.3, 0.15, 0.1])
MAX_CHI_SQUARE = 30.0
SAMPLED_CORRIDOR = {
    "lengths": (5, 8),
    "slips": (0.0, 0.15),
    "steps_per_cell": 3,
    "step_reward": -1.0,
    "goal_reward": -1.0,
}
REPEATED_PULLS = 40  # run_episodes with the same seed twice, and with another seed

# test_corridor_policy: the expected return of each final policy from cell 0, as a share of the way from the
# uniform policy (0) to the best policy (1), both computed exactly here, averaged over the run's 4 corridors.
# Correct solutions (reference and variants, CALIBRATION.md, 20 seeds) reach a mean of 0.946 or more.
# Broken solutions, on 60 seeds (mean of 4 drawn from them): returns that run on across episode ends at most
# 0.46, returns accumulated forwards at most 0.57, actions taken greedily at most 0.57, gradient descent below 0.
# Noisier but sound variants pass: no baseline 0.91 or more, a gradient without the -pi term 0.79 or more.
# 0.7 sits between both groups.
CORRIDOR_MIN_SHARE_OF_BEST = 0.7

# test_episodes_follow_the_environments: seeds given to the worker are its own seed plus these offsets.
PROBE_SEED_OFFSETS = (40, 41)
BANDIT_PROBE_PULLS = 4  # pulls of each arm of a bandit whose arms pay with probability 0 or 1
RECORDED_EPISODES = 8  # episodes run_episodes plays in a corridor of slip 0


def _random_batch(rng: np.random.Generator, features: int, actions: int) -> dict:
    lengths = np.concatenate([[1], rng.integers(2, 6, size=3)])  # a one-step episode and three longer ones
    rng.shuffle(lengths)
    steps = int(lengths.sum())
    dones = np.zeros(steps)
    dones[np.cumsum(lengths) - 1] = 1.0
    return {
        "features": rng.normal(size=(steps, features)),
        "actions": rng.integers(actions, size=steps),
        "rewards": rng.normal(size=steps),
        "dones": dones,
    }


@pytest.mark.points(2)
def test_update_matches_reinforce(submission, rng):
    """reinforce_update makes exactly the REINFORCE step on a batch of several episodes, with and without baseline."""
    theta = 0.5 * rng.normal(size=(3, 3))
    batch = _random_batch(rng, 3, 3)
    lengths = np.diff(np.concatenate([[-1], np.flatnonzero(batch["dones"])])).astype(int).tolist()
    for baseline in (False, True):
        expected = reinforce_step(theta, batch, 0.9, 0.37, baseline)
        call = (
            f"reinforce_update(theta, episodes, gamma=0.9, learning_rate=0.37, baseline={baseline}) on "
            f"{len(lengths)} episodes of lengths {lengths} (3 features, 3 actions)"
        )
        expect_close(
            submission.reinforce_update(theta, batch, 0.9, 0.37, baseline=baseline),
            expected,
            what=call,
            rtol=1e-7,
            atol=1e-9,
            hint="the step: learning_rate * sum over steps of (G[t] - b) * grad log pi(a_t | s_t), divided "
            "by the number of episodes (sum of dones), with G from discounted_returns and b the mean "
            "of G when baseline is True",
        )


def _pulls(submission, rng, worker_seed, theta, seed_offset: int, seed: int, pulls: int) -> np.ndarray:
    env = submission.Bandit(np.full(theta.shape[1], 0.5), seed=worker_seed + seed_offset)
    call = f"run_episodes(Bandit(<{theta.shape[1]} arms>), theta, {pulls}, rng={seed})"
    return read_episodes(
        submission.run_episodes(env, theta, pulls, seed),
        call=call,
        num_features=1,
        num_actions=theta.shape[1],
        episodes=pulls,
    )["actions"]


@pytest.mark.statistical
@pytest.mark.points(1)
def test_sampling_follows_the_policy(submission, rng, worker_seed, measure):
    """run_episodes samples actions from the policy with its generator and lays whole episodes end to end."""
    theta = np.log(SAMPLING_PROBABILITIES)[np.newaxis, :]
    seed = int(rng.integers(2**31))
    actions = _pulls(submission, rng, worker_seed, theta, 30, seed, SAMPLED_PULLS)
    counts = np.bincount(actions, minlength=4)[:4]
    expected = SAMPLED_PULLS * SAMPLING_PROBABILITIES
    chi_square = measure("chi_square", float(np.sum((counts - expected) ** 2 / expected)))
    expect_at_most(
        chi_square,
        MAX_CHI_SQUARE,
        metric=(
            f"the chi-square distance between the action counts {counts.tolist()} of "
            f"run_episodes(Bandit(<4 arms>), theta, {SAMPLED_PULLS}, rng) and the expected counts "
            f"{expected.round().astype(int).tolist()} of the policy"
        ),
        hint="how run_episodes picks an action: sample it from softmax_policy's probabilities with the "
        "generator (rng.choice(num_actions, p=probabilities)), do not take the most probable one",
    )
    again = _pulls(submission, rng, worker_seed, theta, 30, seed, REPEATED_PULLS)
    expect_close(
        again,
        actions[:REPEATED_PULLS],
        rtol=0.0,
        atol=0.0,
        what=f"the actions of run_episodes on an identical bandit with the same rng={seed}",
        hint="run_episodes: every random choice comes from rng (np.random.default_rng(rng))",
    )
    expect_runs_differ(
        _pulls(submission, rng, worker_seed, theta, 30, seed + 1, REPEATED_PULLS),
        actions[:REPEATED_PULLS],
        what=f"run_episodes took the same {REPEATED_PULLS} actions with rng={seed} and rng={seed + 1}",
        hint="run_episodes: every random choice comes from rng (np.random.default_rng(rng))",
    )

    model = draw_corridor(rng, **SAMPLED_CORRIDOR)
    env = submission.Corridor(model.length, model.slip, model.max_steps, seed=worker_seed + 31)
    call = f"run_episodes({model.describe()}, theta, 15, rng)"
    batch = read_episodes(
        submission.run_episodes(env, rng.normal(size=(model.length, 2)), 15, seed),
        call=call,
        num_features=model.length,
        num_actions=2,
        episodes=15,
    )
    ends = np.flatnonzero(batch["dones"] == 1)
    starts = np.concatenate([[0], ends[:-1] + 1])
    expect_at_most(
        float(np.max(np.diff(np.concatenate([[-1], ends])))),
        model.max_steps,
        metric=f"the length of the longest episode of {call}",
        baseline="the corridor's max_steps",
        hint="run_episodes: an episode ends when env.step says done",
    )
    expect_close(
        batch["features"][starts],
        np.eye(model.length)[np.zeros(len(starts), dtype=int)],
        rtol=0.0,
        atol=1e-12,
        what=f"the features recorded at the first step of each episode of {call} (cell 0)",
        hint="which features run_episodes records: those of the state the action was taken in (before "
        "env.step), starting with env.reset()",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_corridor_policy(corridors, corridor_trainings, measure):
    """train learns to walk down fresh corridors: far fewer expected steps than the uniform policy."""
    shares, lines = [], []
    for corridor, training in zip(corridors, corridor_trainings):
        value = corridor.value(training.theta)
        uniform_value, best_value = corridor.model.uniform_value, corridor.model.best_value
        shares.append((value - uniform_value) / (best_value - uniform_value))
        lines.append(
            f"{training.call}: expected return {value:.2f} (uniform policy {uniform_value:.2f}, best "
            f"policy {best_value:.2f}), share {shares[-1]:.2f}"
        )
    share = measure("mean_share_of_best", float(np.mean(shares)))
    measure("worst_share_of_best", float(np.min(shares)))
    expect_at_least(
        share,
        CORRIDOR_MIN_SHARE_OF_BEST,
        metric=(
            f"the expected return from cell 0 of the policies train learned on {len(shares)} corridors, as a "
            "share of the way from the uniform policy (0) to the best policy (1), averaged over the corridors "
            "(" + "; ".join(lines) + ")"
        ),
        baseline="a policy that never learns stays near 0",
        hint="the returns of multi-step episodes (discounted_returns restarting at episode ends) and the update",
    )


def _bandit_rewards(submission, means, seed: int, arms: list[int]) -> np.ndarray:
    """Pull ``arms`` of ``Bandit(means, seed)`` in the worker; check each step's state and done; return the rewards."""
    env = submission.Bandit(np.asarray(means, dtype=np.float64), seed=seed)
    hint = "the Bandit you were given (do not change it): it must follow the means and seed it is made with"
    rewards = []
    for arm in arms:
        what = f"Bandit(means={list(means)}, seed={seed}).step({arm})"
        step = expect_type(env.step(arm), (tuple, list), what=f"what {what} returns", hint=hint)
        features, reward, done = (list(step) + [None, None, None])[:3]
        expect_close(
            expect_shape(features, (1,), what=f"the state of {what}", hint=hint),
            [1.0],
            what=f"the state of {what}",
            hint=hint,
        )
        expect_scalar_close(
            float(expect_type(done, (bool, np.bool_), what=f"done of {what}", hint=hint)),
            1.0,
            what=f"done of {what} (1 for True)",
            hint=hint,
        )
        reward = expect_scalar(reward, what=f"the reward of {what}", hint=hint)
        expect_subset(
            [reward],
            [means[arm]] if means[arm] in (0.0, 1.0) else [0.0, 1.0],
            noun="reward",
            what=f"the reward of {what}",
            hint=hint,
        )
        rewards.append(reward)
    return np.array(rewards)


def _expect_recorded_transitions(batch: dict, model: CorridorModel, *, call: str) -> None:
    """Hold the episodes ``run_episodes`` recorded in a corridor of slip 0 against the corridor's exact moves."""
    cells = batch["features"].argmax(axis=1)
    expect_close(
        batch["features"],
        np.eye(model.length)[cells],
        rtol=0.0,
        atol=0.0,
        what=f"episodes['features'] from {call}",
        hint="run_episodes: record the features env.reset() and env.step() return",
    )
    reached = np.clip(cells + np.where(batch["actions"] == 1, 1, -1), 0, model.goal)
    ends = batch["dones"] == 1.0
    following = np.concatenate([cells[1:], [model.goal]])
    lengths = np.diff(np.concatenate([[-1], np.flatnonzero(ends)]))
    steps = np.concatenate([np.arange(1, length + 1) for length in lengths])
    recorded_next = np.where(ends, np.where(steps >= model.max_steps, reached, model.goal), following)
    expect_close(
        reached,
        recorded_next,
        rtol=0.0,
        atol=0.0,
        what=(
            f"the cell each recorded action leads to in {call} (slip 0: left moves left, right moves "
            "right), against the next recorded state, or the last cell where an episode ends early"
        ),
        hint="which features run_episodes records: those of the state the action was taken in (before "
        "env.step), starting with env.reset(); an episode ends when env.step says done",
    )
    expect_close(
        batch["rewards"],
        np.full(len(cells), model.step_reward),
        rtol=0.0,
        atol=0.0,
        what=f"episodes['rewards'] from {call}",
        hint="run_episodes: record the reward env.step returns",
    )


@pytest.mark.points(1)
def test_episodes_follow_the_environments(submission, rng, worker_seed):
    """run_episodes records the moves the given corridor makes; Bandit and Corridor follow all their parameters."""
    seeds = tuple(worker_seed + offset for offset in PROBE_SEED_OFFSETS)
    model = CorridorModel(
        int(rng.integers(*PROBE_LENGTHS)), 0.0, int(rng.integers(*PROBE_MAX_STEPS)), step_reward=-1.0, goal_reward=-1.0
    )
    env = submission.Corridor(model.length, 0.0, model.max_steps, seed=seeds[0])
    call = f"run_episodes({model.describe()[:-1]}, seed={seeds[0]}), theta, {RECORDED_EPISODES}, rng)"
    batch = read_episodes(
        submission.run_episodes(
            env, 0.3 * rng.normal(size=(model.length, 2)), RECORDED_EPISODES, int(rng.integers(2**31))
        ),
        call=call,
        num_features=model.length,
        num_actions=2,
        episodes=RECORDED_EPISODES,
    )
    _expect_recorded_transitions(batch, model, call=call)
    means = rng.permutation([0.0, 1.0, 0.0, 1.0, 1.0]).tolist()  # arms that never or always pay: exact rewards
    arms = np.repeat(np.arange(len(means)), BANDIT_PROBE_PULLS)
    rng.shuffle(arms)
    _bandit_rewards(submission, means, seeds[0], arms.tolist())
    fair = [0.5, 0.5, 0.5]
    expect_runs_differ(
        _bandit_rewards(submission, fair, seeds[0], [0] * REPEATED_PULLS),
        _bandit_rewards(submission, fair, seeds[1], [0] * REPEATED_PULLS),
        what=(
            f"two Bandit(means={fair}) made with the seeds {seeds[0]} and {seeds[1]} paid the same "
            f"{REPEATED_PULLS} rewards"
        ),
        hint="the Bandit you were given (do not change it): its generator is made from its seed",
    )
    expect_corridor_follows_parameters(
        lambda length, slip, max_steps, seed: submission.Corridor(length, slip, max_steps, seed=seed),
        rng,
        step_reward=-1.0,
        goal_reward=-1.0,
        random_start=False,
        seeds=seeds,
    )
