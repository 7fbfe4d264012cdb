"""The vae grader's data and references: blob images, the reparameterisation, the KL divergence, the cross-entropy.

An image is 8x8 grey levels, flattened to 64 values in [0, 1]: one Gaussian blob
whose centre lies anywhere in [1, 6] x [1, 6] (continuous, in pixel coordinates)
and whose width is 0.8 to 1.2 pixels.  The images thus lie near a 2-D manifold
(the centre), with a third, smaller factor (the width), in 64 dimensions.

Everything here is the grader's own, in float64 NumPy: the checks compare what
the candidate's code returns with it.  It also reads values that come back from
the worker and fails clearly when they are not what the contract says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.checks import expect_array
from harness.checks import CheckFailed
from harness.checks import Handle

IMAGE_SIZE = 8
DATA_DIM = IMAGE_SIZE * IMAGE_SIZE
LATENT_DIM = 3
CENTRES = (1.0, 6.0)
WIDTHS = (0.8, 1.2)

TRAIN_IMAGES = 2000
TRAINING = {"epochs": 30, "batch_size": 64, "learning_rate": 3e-3}  # + seed=<run seed>
TRAIN_DEADLINE_SECONDS = 150
JUDGE_IMAGES = 500

PROBABILITY_CLIP = 1e-7  # Keras clips probabilities to [1e-7, 1 - 1e-7] in its cross-entropy


def blob_images(rng: np.random.Generator, count: int) -> np.ndarray:
    """Return ``count`` flattened 8x8 blob images, shape (count, 64) float32, values in [0, 1]."""
    centres = rng.uniform(*CENTRES, size=(count, 2))
    widths = rng.uniform(*WIDTHS, size=(count, 1, 1))
    rows, columns = np.meshgrid(np.arange(IMAGE_SIZE), np.arange(IMAGE_SIZE), indexing="ij")
    squared = ((rows[None] - centres[:, 0, None, None]) ** 2 + (columns[None] - centres[:, 1, None, None]) ** 2)
    return np.exp(-squared / (2 * widths ** 2)).reshape(count, DATA_DIM).astype(np.float32)


def sample_z_reference(mean, log_variance, epsilon) -> np.ndarray:
    """mean + exp(log_variance / 2) * epsilon, in float64."""
    mean, log_variance, epsilon = (np.asarray(value, dtype=np.float64) for value in (mean, log_variance, epsilon))
    return mean + np.exp(0.5 * log_variance) * epsilon


def kl_reference(mean, log_variance) -> np.ndarray:
    """KL(N(mean, exp(log_variance)) || N(0, I)) per row, summed over the last axis, in float64."""
    mean, log_variance = np.asarray(mean, dtype=np.float64), np.asarray(log_variance, dtype=np.float64)
    return -0.5 * np.sum(1.0 + log_variance - mean ** 2 - np.exp(log_variance), axis=-1)


def reconstruction_reference(x, probabilities) -> np.ndarray:
    """Binary cross-entropy per row, summed over the last axis, in float64."""
    x = np.asarray(x, dtype=np.float64)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)


def read_array(value: Any, shape: tuple[int, ...], *, what: str, hint: str) -> np.ndarray:
    """Read a finite numeric array of ``shape`` as float64, or fail saying what came back."""
    array = expect_array(value, what=what, hint=hint)
    if array.shape != shape:
        raise CheckFailed(f"{what} should have shape {shape}, but it has shape {array.shape}. Look at {hint}.")
    if not np.all(np.isfinite(array)):
        raise CheckFailed(f"{what} holds NaN or infinite values. Look at {hint}.")
    return array.astype(np.float64)


TRAINED_HINT = "train_vae: after training, NaN outputs mean the losses diverged (their signs, the learning rate)"


def encode(encoder: Handle, x: np.ndarray, *, latent_dim: int = LATENT_DIM,
           hint: str = "build_encoder: a keras.Model with two outputs, [mean, log_variance]",
           ) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's ``[mean, log_variance]`` for ``x`` (predict_on_batch), each (len(x), latent_dim), or fail."""
    what = f"encoder.predict_on_batch(x) for x of shape {x.shape}"
    outputs = encoder.predict_on_batch(x)
    if isinstance(outputs, Handle) or not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
        found = (outputs.type_name if isinstance(outputs, Handle)
                 else f"{len(outputs)} outputs" if isinstance(outputs, (list, tuple))
                 else f"one array of shape {getattr(outputs, 'shape', '?')}")
        raise CheckFailed(f"{what} should give two arrays, the mean and the log-variance, but it gave {found}. "
                          f"Look at {hint}.")
    shape = (len(x), latent_dim)
    return (read_array(outputs[0], shape, what=f"the mean from {what}", hint=hint),
            read_array(outputs[1], shape, what=f"the log-variance from {what}", hint=hint))


def decode(decoder: Handle, z: np.ndarray, *, data_dim: int = DATA_DIM,
           hint: str = "build_decoder: Dense(data_dim) with a sigmoid") -> np.ndarray:
    """The decoder's output for ``z`` (predict_on_batch), shape (len(z), data_dim), or fail."""
    return read_array(decoder.predict_on_batch(np.asarray(z, dtype=np.float32)), (len(z), data_dim),
                      what=f"decoder.predict_on_batch(z) for z of shape {np.shape(z)}", hint=hint)

