"""The policy_gradient grader's environments, their exact evaluation, and how train()'s answer is read.

The expected return of a softmax policy in the exercise's two small environments is computed here, with the
grader's own softmax: in closed form for the bandit, by backward induction over the steps left for the corridor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.checks import expect_array, expect_finite, expect_shape
from harness.checks import CheckFailed
from harness.checks import Handle

TRAIN_DEADLINE_SECONDS = 20

BANDIT_ARMS = (4, 9)                # number of arms drawn from [4, 9)
BANDIT_PLAIN_ARMS = (0.1, 0.5)      # probability of paying 1, drawn from this range ...
BANDIT_BEST_ARM = (0.75, 0.9)       # ... except for one arm
# A bandit episode is one step, so gamma plays no part in a correct solution; 0.0 keeps it that way for every
# mistake about returns too (the hand cases and the exact update catch those).
BANDIT_TRAINING = {"num_iterations": 100, "episodes_per_iteration": 20, "gamma": 0.0, "learning_rate": 2.0,
                   "baseline": True}

CORRIDOR_LENGTHS = (5, 8)           # number of cells drawn from [5, 8)
CORRIDOR_SLIP = (0.0, 0.15)
CORRIDOR_STEPS_PER_CELL = 3
CORRIDOR_RUNS = 4                   # corridors trained on per run; the check judges their mean
# 40 episodes per update make the gradient estimate precise enough that the reference never collapses to a
# poor deterministic policy (it does now and then with 10), and that returns leaking from one episode into the
# one before it (which systematically punishes the step into the goal) show in every training.
CORRIDOR_TRAINING = {"num_iterations": 30, "episodes_per_iteration": 40, "gamma": 0.9, "learning_rate": 0.3,
                     "baseline": True}


def policy_probabilities(theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The grader's own softmax of ``features @ theta`` over the last axis, in float64."""
    logits = np.asarray(features, dtype=np.float64) @ np.asarray(theta, dtype=np.float64)
    logits -= np.max(logits, axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / np.sum(weights, axis=-1, keepdims=True)


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
    length: int
    slip: float
    max_steps: int
    env_seed: int
    train_seed: int

    def _backup(self, values: np.ndarray) -> np.ndarray:
        """Q[cell, action] = -1 + expected value, one step later, of the cell reached (0 at the goal)."""
        goal = self.length - 1
        q = np.full((self.length, 2), -1.0)
        for cell in range(goal):
            for action, move in ((0, -1), (1, 1)):
                for step, probability in ((move, 1.0 - self.slip), (-move, self.slip)):
                    reached = min(max(cell + step, 0), goal)
                    q[cell, action] += probability * (0.0 if reached == goal else values[reached])
        return q

    def describe(self) -> str:
        return f"Corridor(length={self.length}, slip={self.slip:.3f}, max_steps={self.max_steps})"

    def value(self, theta: np.ndarray) -> float:
        """The expected return from cell 0 of the policy ``theta`` (minus the expected number of steps)."""
        probabilities = policy_probabilities(theta, np.eye(self.length))
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = np.sum(probabilities * self._backup(values), axis=1)
            values[-1] = 0.0
        return float(values[0])

    @property
    def random_value(self) -> float:
        return self.value(np.zeros((self.length, 2)))

    @property
    def best_value(self) -> float:
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = self._backup(values).max(axis=1)
            values[-1] = 0.0
        return float(values[0])


def bandit_task(seed: int) -> BanditTask:
    rng = np.random.default_rng([seed, 5])
    arms = int(rng.integers(*BANDIT_ARMS))
    means = rng.uniform(*BANDIT_PLAIN_ARMS, size=arms)
    means[int(rng.integers(arms))] = rng.uniform(*BANDIT_BEST_ARM)
    env_seed, train_seed = (int(value) for value in rng.integers(2**31, size=2))
    return BanditTask(means, env_seed, train_seed)


def corridor_tasks(seed: int) -> list[CorridorTask]:
    rng = np.random.default_rng([seed, 6])
    tasks = []
    for _ in range(CORRIDOR_RUNS):
        length = int(rng.integers(*CORRIDOR_LENGTHS))
        slip = float(rng.uniform(*CORRIDOR_SLIP))
        env_seed, train_seed = (int(value) for value in rng.integers(2**31, size=2))
        tasks.append(CorridorTask(length, slip, CORRIDOR_STEPS_PER_CELL * length, env_seed, train_seed))
    return tasks


@dataclass(frozen=True)
class Training:
    """What ``train`` returned: the final ``theta`` and the average reward of each iteration."""

    theta: np.ndarray
    average_rewards: np.ndarray
    call: str


def read_training(value, *, call: str, theta_shape: tuple[int, int], iterations: int) -> Training:
    """Read ``(theta, average_rewards)`` from what ``train`` returned, or fail saying what came back."""
    hint = "the return statement of train: (theta, average_rewards)"
    if isinstance(value, Handle) or not isinstance(value, (tuple, list)) or len(value) != 2:
        found = value.type_name if isinstance(value, Handle) else (
            f"a sequence of {len(value)} items" if isinstance(value, (tuple, list)) else type(value).__name__)
        raise CheckFailed(f"{call} should return a pair (theta, average_rewards), but it returned {found}. "
                          f"Look at {hint}.")
    theta = expect_shape(value[0], theta_shape, what=f"theta returned by {call}",
                         hint="the shape of theta: (env.num_features, env.num_actions)")
    expect_finite(theta, what=f"theta returned by {call}", hint="the learning rate and the update")
    rewards = expect_array(value[1], what=f"average_rewards returned by {call}", hint=hint).astype(np.float64)
    expect_shape(rewards, (iterations,), what=f"average_rewards returned by {call}",
                 hint="train: one average per iteration")
    expect_finite(rewards, what=f"average_rewards returned by {call}", hint="train")
    return Training(theta.astype(np.float64), rewards, call)


def call_text(environment: str, training: dict, seed: int) -> str:
    arguments = ", ".join(f"{key}={value}" for key, value in training.items())
    return f"train({environment}, {arguments}, seed={seed})"
