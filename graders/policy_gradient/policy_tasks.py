"""The policy_gradient grader's tasks, its own REINFORCE arithmetic, and how the candidate's answers are read.

The expected return of a softmax policy in the exercise's two small environments is computed here, with the
grader's own softmax: in closed form for the bandit, exactly by backward induction over the steps left for the
corridor (``_shared.corridor``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from _shared.corridor import CorridorModel, draw_corridor

from harness.checks import (
    expect_array,
    expect_finite,
    expect_in_range,
    expect_scalar_close,
    expect_shape,
    expect_subset,
    expect_type,
)

TRAIN_DEADLINE_SECONDS = 20  # CPU seconds of one training; the reference needs about 0.2 s

BANDIT_ARMS = (4, 9)  # number of arms drawn from [4, 9)
BANDIT_PLAIN_ARMS = (0.1, 0.5)  # probability of paying 1, drawn from this range ...
BANDIT_BEST_ARM = (0.75, 0.9)  # ... except for one arm
# A bandit episode is one step, so gamma plays no part in a correct solution; 0.0 keeps it that way for every
# mistake about returns too (the hand cases and the exact update catch those).
BANDIT_TRAINING = {
    "num_iterations": 100,
    "episodes_per_iteration": 20,
    "gamma": 0.0,
    "learning_rate": 2.0,
    "baseline": True,
}

# The corridors train() learns in: -1 per step, episodes start in cell 0, judged by the undiscounted return.
CORRIDOR = {"lengths": (5, 8), "slips": (0.0, 0.15), "steps_per_cell": 3, "step_reward": -1.0, "goal_reward": -1.0}
CORRIDOR_RUNS = 4  # corridors trained on per run; the check judges their mean
# 40 episodes per update make the gradient estimate precise enough that the reference never collapses to a
# poor deterministic policy (it does now and then with 10), and that returns leaking from one episode into the
# one before it (which systematically punishes the step into the goal) show in every training.
CORRIDOR_TRAINING = {
    "num_iterations": 30,
    "episodes_per_iteration": 40,
    "gamma": 0.9,
    "learning_rate": 0.3,
    "baseline": True,
}

# Seeds given to the worker: the worker's own seed plus these offsets (they predict no check data).
BANDIT_SEEDS = (1, 2)  # (environment, training)
CORRIDOR_SEED_OFFSET = 10  # corridor i: environment 10 + 2i, training 11 + 2i
EPISODE_KEYS = ("features", "actions", "rewards", "dones")


def policy_probabilities(theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The grader's own softmax of ``features @ theta`` over the last axis, in float64."""
    logits = np.asarray(features, dtype=np.float64) @ np.asarray(theta, dtype=np.float64)
    logits -= np.max(logits, axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / np.sum(weights, axis=-1, keepdims=True)


def returns_to_go(rewards: np.ndarray, dones: np.ndarray, gamma: float) -> np.ndarray:
    """The grader's own discounted returns, restarting where an episode ends."""
    to_go = np.zeros(len(rewards))
    following = 0.0
    for step in range(len(rewards) - 1, -1, -1):
        following = rewards[step] + (0.0 if dones[step] else gamma * following)
        to_go[step] = following
    return to_go


def reinforce_step(theta: np.ndarray, batch: dict, gamma: float, learning_rate: float, baseline: bool) -> np.ndarray:
    """The grader's own REINFORCE step, vectorised over the batch."""
    to_go = returns_to_go(batch["rewards"], batch["dones"], gamma)
    if baseline:
        to_go = to_go - np.mean(to_go)
    probabilities = policy_probabilities(theta, batch["features"])
    chosen = np.eye(theta.shape[1])[batch["actions"]]
    ascent = batch["features"].T @ (to_go[:, None] * (chosen - probabilities))
    return theta + learning_rate * ascent / np.sum(batch["dones"])


@dataclass(frozen=True)
class BanditTask:
    means: np.ndarray
    env_seed: int
    train_seed: int

    @property
    def arms(self) -> int:
        return len(self.means)

    def value(self, theta: np.ndarray) -> float:
        """The expected reward of one pull with the policy ``theta``."""
        return float(policy_probabilities(theta, np.ones(1)) @ self.means)

    @property
    def random_value(self) -> float:
        return float(self.means.mean())

    @property
    def best_value(self) -> float:
        return float(self.means.max())


@dataclass(frozen=True)
class CorridorTask:
    """A corridor of the run, with the seeds its environment and its training get."""

    model: CorridorModel
    env_seed: int
    train_seed: int

    def value(self, theta: np.ndarray) -> float:
        """The expected return from cell 0 of the policy ``theta`` (minus the expected number of steps)."""
        return self.model.value(policy_probabilities(theta, np.eye(self.model.length)))


def bandit_task(rng: np.random.Generator, worker_seed: int) -> BanditTask:
    arms = int(rng.integers(*BANDIT_ARMS))
    means = rng.uniform(*BANDIT_PLAIN_ARMS, size=arms)
    means[int(rng.integers(arms))] = rng.uniform(*BANDIT_BEST_ARM)
    return BanditTask(means, worker_seed + BANDIT_SEEDS[0], worker_seed + BANDIT_SEEDS[1])


def corridor_tasks(rng: np.random.Generator, worker_seed: int) -> list[CorridorTask]:
    return [
        CorridorTask(
            draw_corridor(rng, **CORRIDOR),
            worker_seed + CORRIDOR_SEED_OFFSET + 2 * index,
            worker_seed + CORRIDOR_SEED_OFFSET + 2 * index + 1,
        )
        for index in range(CORRIDOR_RUNS)
    ]


@dataclass(frozen=True)
class Training:
    """What ``train`` returned: the final ``theta`` and the average reward of each iteration."""

    theta: np.ndarray
    average_rewards: np.ndarray
    call: str


def read_training(value, *, call: str, theta_shape: tuple[int, int], iterations: int) -> Training:
    """Read ``(theta, average_rewards)`` from what ``train`` returned, or fail saying what came back."""
    hint = "the return statement of train: (theta, average_rewards)"
    pair = expect_type(value, (tuple, list), what=f"what {call} returns", hint=hint)
    expect_shape(np.zeros(len(pair)), (2,), what=f"the tuple {call} returns, (theta, average_rewards),", hint=hint)
    theta = expect_shape(
        pair[0],
        theta_shape,
        what=f"theta returned by {call}",
        hint="the shape of theta: (env.num_features, env.num_actions)",
    )
    expect_finite(theta, what=f"theta returned by {call}", hint="the learning rate and the update")
    rewards = expect_shape(
        pair[1], (iterations,), what=f"average_rewards returned by {call}", hint="train: one average per iteration"
    )
    expect_finite(rewards, what=f"average_rewards returned by {call}", hint="train")
    return Training(theta.astype(np.float64), rewards.astype(np.float64), call)


def read_episodes(value, *, call: str, num_features: int, num_actions: int, episodes: int) -> dict:
    """Read the dict of arrays ``run_episodes`` returned, holding ``episodes`` whole episodes, or fail."""
    hint = "run_episodes: it returns a dict of arrays with the keys features, actions, rewards and dones"
    batch = expect_type(value, dict, what=f"what {call} returns", hint=hint)
    dones = expect_shape(batch.get("dones"), (None,), what=f"episodes['dones'] from {call}", hint=hint)
    steps = len(dones)
    expect_subset(
        np.unique(dones.astype(np.float64)).tolist(),
        (0.0, 1.0),
        what=f"episodes['dones'] from {call}",
        noun="value",
        hint="run_episodes: dones is 1.0 at each episode's last step, 0.0 elsewhere",
    )
    read = {"dones": dones.astype(np.float64)}
    read["features"] = expect_finite(
        expect_shape(batch.get("features"), (steps, num_features), hint=hint, what=f"episodes['features'] from {call}"),
        what=f"episodes['features'] from {call}",
    ).astype(np.float64)
    read["rewards"] = expect_finite(
        expect_shape(batch.get("rewards"), (steps,), hint=hint, what=f"episodes['rewards'] from {call}"),
        what=f"episodes['rewards'] from {call}",
    ).astype(np.float64)
    actions = expect_array(
        expect_shape(batch.get("actions"), (steps,), what=f"episodes['actions'] from {call}", hint=hint),
        what=f"episodes['actions'] from {call}",
        dtype_kind="iu",
        hint="run_episodes: the actions are ints",
    )
    read["actions"] = expect_in_range(
        actions.astype(np.float64), 0, num_actions - 1, hint=hint, what=f"episodes['actions'] from {call}"
    ).astype(np.int64)
    expect_scalar_close(
        float(np.sum(read["dones"] == 1.0)),
        float(episodes),
        rtol=0.0,
        atol=0.0,
        what=f"the number of episodes in what {call} returns (the ones in episodes['dones'])",
        hint="run_episodes: it plays num_episodes whole episodes; dones is 1.0 at the last step of each, 0.0 elsewhere",
    )
    expect_scalar_close(
        float(read["dones"][-1]),
        1.0,
        rtol=0.0,
        atol=0.0,
        what=f"episodes['dones'] at the last step of what {call} returns",
        hint="run_episodes: the batch ends with the last step of the last episode",
    )
    return read


def call_text(environment: str, training: dict, seed: int) -> str:
    arguments = ", ".join(f"{key}={value}" for key, value in training.items())
    return f"train({environment}, {arguments}, seed={seed})"
