"""The gan grader's data and references: the seeded 2-D Gaussian target, the two cross-entropies, the energy distance.

Everything here is the grader's own, in float64 NumPy: the checks compare what
the candidate's code returns with it.  It also reads values that come back from
the worker (a loss, a model's outputs, its weights) and fails clearly when they
are not what the contract says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.checks import expect_array, verify_keras_model
from harness.checks import CheckFailed
from harness.checks import Handle

LATENT_DIM = 4
DATA_DIM = 2
TRAIN_POINTS = 2000
TRAINING = {"steps": 800, "batch_size": 64, "discriminator_steps": 2, "learning_rate": 2e-3}  # + seed=<run seed>
TRAIN_DEADLINE_SECONDS = 150
JUDGE_SAMPLES = 1000


@dataclass(frozen=True)
class Target:
    """The run's target distribution: a 2-D Gaussian."""

    mean: np.ndarray
    covariance: np.ndarray

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.multivariate_normal(self.mean, self.covariance, size=count).astype(np.float32)

    @property
    def standard_deviations(self) -> np.ndarray:
        """Standard deviations along the principal axes, smallest first."""
        return np.sqrt(np.linalg.eigvalsh(self.covariance))


def make_target(seed: int) -> Target:
    rng = np.random.default_rng([seed, 1])
    mean = rng.uniform(2.0, 4.0, size=DATA_DIM) * rng.choice([-1.0, 1.0], size=DATA_DIM)
    angle = rng.uniform(0.0, math.pi)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    deviations = rng.uniform(0.3, 1.0, size=DATA_DIM)
    return Target(mean, rotation @ np.diag(deviations ** 2) @ rotation.T)


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)), exact for any x."""
    return np.logaddexp(0.0, x)


def discriminator_loss_reference(real_logits, fake_logits) -> float:
    """mean(BCE(1, real_logits)) + mean(BCE(0, fake_logits)), from logits, in float64."""
    real = np.asarray(real_logits, dtype=np.float64)
    fake = np.asarray(fake_logits, dtype=np.float64)
    return float(softplus(-real).mean() + softplus(fake).mean())


def generator_loss_reference(fake_logits) -> float:
    """mean(BCE(1, fake_logits)), from logits, in float64."""
    return float(softplus(-np.asarray(fake_logits, dtype=np.float64)).mean())


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """The energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| between two samples (0 for equal distributions)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def mean_distance(a, b):
        return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)).mean())

    return 2 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y)


def model_outputs(model: Handle, x: np.ndarray, *, what: str, columns: int, hint: str) -> np.ndarray:
    """``model.predict_on_batch(x)`` as a float64 array of shape (len(x), columns), or fail."""
    value = expect_array(model.predict_on_batch(x), what=what, hint=hint)
    if value.shape != (len(x), columns):
        raise CheckFailed(f"{what} should have shape ({len(x)}, {columns}), but it has shape {value.shape}. "
                          f"Look at {hint}.")
    return value.astype(np.float64)


def weights_of(submission, model: Handle, *, what: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A Keras model's weights as arrays, verified: the model rebuilt from them computes what the candidate's does."""
    return verify_keras_model(submission, model, rng=rng, what=what).weights()


def largest_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """The largest absolute change of any weight (infinite if the list of weights changed shape)."""
    if len(before) != len(after) or any(a.shape != b.shape for a, b in zip(before, after)):
        return math.inf
    return max((float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) for a, b in zip(before, after)
                if a.size), default=0.0)

