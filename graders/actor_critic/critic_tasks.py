"""The actor_critic grader's corridor, its exact evaluation, and the grader's own arithmetic on network outputs.

Everything here is NumPy: the grader never imports TensorFlow.  The networks stay in the worker;
the grader reads their outputs (``predict``) and weights (the ``keras_weights`` inspector) as data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.checks import expect_array, expect_finite, expect_probabilities, expect_shape, verify_keras_model
from harness.checks import CheckFailed
from harness.checks import Handle

TRAIN_DEADLINE_SECONDS = 60

CORRIDOR_LENGTHS = (5, 8)           # number of cells drawn from [5, 8)
CORRIDOR_SLIP = (0.0, 0.1)
CORRIDOR_STEPS_PER_CELL = 3
GAMMA = 0.9
TRAINING = {"num_episodes": 40, "gamma": GAMMA, "actor_learning_rate": 0.03, "critic_learning_rate": 0.05,
            "entropy_coefficient": 0.01}


@dataclass(frozen=True)
class CorridorTask:
    """One corridor: ``length`` cells, start in a random cell but the last, +1 on reaching the last."""

    length: int
    slip: float
    max_steps: int
    env_seed: int
    train_seed: int

    def describe(self) -> str:
        return f"Corridor(length={self.length}, slip={self.slip:.3f}, max_steps={self.max_steps})"

    @property
    def states(self) -> np.ndarray:
        """The one-hot state of every cell, float32, shape (length, length)."""
        return np.eye(self.length, dtype=np.float32)

    def _backup(self, values: np.ndarray) -> np.ndarray:
        """Q[cell, action]: the expected reward plus gamma times the value of the cell reached (0 at the goal)."""
        goal = self.length - 1
        q = np.zeros((self.length, 2))
        for cell in range(goal):
            for action, move in ((0, -1), (1, 1)):
                for step, probability in ((move, 1.0 - self.slip), (-move, self.slip)):
                    reached = min(max(cell + step, 0), goal)
                    q[cell, action] += probability * (1.0 if reached == goal else GAMMA * values[reached])
        return q

    def value(self, probabilities: np.ndarray) -> float:
        """The expected discounted return of a policy (``probabilities[cell, action]``), averaged over start cells."""
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = np.sum(probabilities * self._backup(values), axis=1)
        return float(values[:-1].mean())

    @property
    def best_value(self) -> float:
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = self._backup(values).max(axis=1)
        return float(values[:-1].mean())


def corridor_task(seed: int) -> CorridorTask:
    rng = np.random.default_rng([seed, 14])
    length = int(rng.integers(*CORRIDOR_LENGTHS))
    slip = float(rng.uniform(*CORRIDOR_SLIP))
    env_seed, train_seed = (int(value) for value in rng.integers(2**31, size=2))
    return CorridorTask(length, slip, CORRIDOR_STEPS_PER_CELL * length, env_seed, train_seed)


def read_probabilities(value, *, rows: int, actions: int, what: str) -> np.ndarray:
    """Read an actor's output as a (rows, actions) float64 array of probabilities, or fail."""
    array = expect_shape(value, (rows, actions), what=what,
                         hint="the actor's last layer: Dense(num_actions) with a softmax")
    return expect_probabilities(array, what=what, hint="the softmax activation of the actor's last layer").astype(
        np.float64)


def read_values(value, *, rows: int, what: str) -> np.ndarray:
    """Read a critic's output, shape (rows, 1), as a float64 vector of length ``rows``, or fail."""
    array = expect_shape(value, (rows, 1), what=what, hint="the critic's last layer: Dense(1), linear")
    return expect_finite(array, what=what).astype(np.float64)[:, 0]


def read_step(value, *, what: str) -> tuple[float, float, float]:
    """Read ``(actor_loss, critic_loss, entropy)`` from what train_step returned, or fail."""
    hint = "the return statement of train_step: (actor_loss, critic_loss, entropy) as floats"
    if isinstance(value, Handle) or not isinstance(value, (tuple, list)) or len(value) != 3:
        found = value.type_name if isinstance(value, Handle) else (
            f"a sequence of {len(value)} items" if isinstance(value, (tuple, list)) else type(value).__name__)
        raise CheckFailed(f"{what} should return (actor_loss, critic_loss, entropy), but it returned {found}. "
                          f"Look at {hint}.")
    numbers = []
    for name, item in zip(("actor_loss", "critic_loss", "entropy"), value):
        what_item = f"{name} from {what}"
        if isinstance(item, bool) or isinstance(item, Handle) or not isinstance(item, (int, float, np.ndarray)):
            found = item.type_name if isinstance(item, Handle) else type(item).__name__
            raise CheckFailed(f"{what_item} should be a number, but it is {found}. Look at {hint}.")
        array = expect_finite(expect_array(np.asarray(item), what=what_item, hint=hint), what=what_item)
        if array.size != 1:
            raise CheckFailed(f"{what_item} should be one number, but it has shape {array.shape}. "
                              f"Look at {hint} (reduce over the batch with a mean).")
        numbers.append(float(array.ravel()[0]))
    return numbers[0], numbers[1], numbers[2]


def entropies(probabilities: np.ndarray) -> np.ndarray:
    """The entropy of each row of ``probabilities``, in nats."""
    safe = np.clip(probabilities, 1e-12, 1.0)
    return -np.sum(probabilities * np.log(safe), axis=-1)


def weights_of(submission, model, *, what: str, rng: np.random.Generator) -> list[np.ndarray]:
    """The model's weights as float64 arrays, verified: the model rebuilt from them computes what the candidate's does."""
    return verify_keras_model(submission, model, rng=rng, what=what).weights()


def largest_difference(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    """The largest absolute difference between two lists of weights of the same shapes."""
    if len(first) != len(second) or any(a.shape != b.shape for a, b in zip(first, second)):
        return float("inf")
    return max(float(np.max(np.abs(a - b), initial=0.0)) for a, b in zip(first, second))


@dataclass
class Batch:
    """A batch of transitions, as train_step takes them."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    dones: np.ndarray

    def arguments(self) -> tuple:
        return (self.states, self.actions, self.rewards, self.next_states, self.dones)


def random_batch(rng: np.random.Generator, size: int, state_dim: int, num_actions: int,
                 dones: np.ndarray | None = None) -> Batch:
    """``size`` random transitions: normal states, uniform actions, normal rewards; ``dones`` as given or 0."""
    return Batch(
        states=rng.normal(size=(size, state_dim)).astype(np.float32),
        actions=rng.integers(num_actions, size=size).astype(np.int64),
        rewards=rng.normal(size=size).astype(np.float32),
        next_states=rng.normal(size=(size, state_dim)).astype(np.float32),
        dones=np.zeros(size, dtype=np.float32) if dones is None else np.asarray(dones, dtype=np.float32),
    )


def step_call(batch: Batch, gamma: float, entropy_coefficient: float) -> str:
    return (f"train_step(actor, critic, actor_optimizer, critic_optimizer, <{len(batch.actions)} transitions>, "
            f"gamma={gamma}, entropy_coefficient={entropy_coefficient})")


def copy_weights(submission, source, target, *, what: str, rng: np.random.Generator, scale: float = 1.0,
                 noise: float = 0.0) -> None:
    """Give ``target`` the weights of ``source`` (same architecture), optionally scaled and perturbed."""
    weights = weights_of(submission, source, what=what, rng=rng)
    if noise:
        weights = [scale * weight + rng.normal(0.0, noise, size=weight.shape) for weight in weights]
    elif scale != 1.0:
        weights = [scale * weight for weight in weights]
    target.set_weights([weight.astype(np.float32) for weight in weights])
