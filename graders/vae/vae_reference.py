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

from harness.checks import (
    CheckFailed,
    Handle,
    VerifiedModel,
    describe,
    expect_close,
    expect_finite,
    expect_shape,
    verify_keras_model,
)

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
    squared = (rows[None] - centres[:, 0, None, None]) ** 2 + (columns[None] - centres[:, 1, None, None]) ** 2
    return np.exp(-squared / (2 * widths**2)).reshape(count, DATA_DIM).astype(np.float32)


def sample_z_reference(mean, log_variance, epsilon) -> np.ndarray:
    """mean + exp(log_variance / 2) * epsilon, in float64."""
    mean, log_variance, epsilon = (np.asarray(value, dtype=np.float64) for value in (mean, log_variance, epsilon))
    return mean + np.exp(0.5 * log_variance) * epsilon


def kl_reference(mean, log_variance) -> np.ndarray:
    """KL(N(mean, exp(log_variance)) || N(0, I)) per row, summed over the last axis, in float64."""
    mean, log_variance = np.asarray(mean, dtype=np.float64), np.asarray(log_variance, dtype=np.float64)
    return -0.5 * np.sum(1.0 + log_variance - mean**2 - np.exp(log_variance), axis=-1)


def reconstruction_reference(x, probabilities) -> np.ndarray:
    """Binary cross-entropy per row, summed over the last axis, in float64."""
    x = np.asarray(x, dtype=np.float64)
    p = np.clip(np.asarray(probabilities, dtype=np.float64), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=-1)


def read_array(value: Any, shape: tuple[int, ...], *, what: str, hint: str) -> np.ndarray:
    """Read a finite numeric array of ``shape`` as float64, or fail saying what came back."""
    return expect_finite(expect_shape(value, shape, what=what, hint=hint), what=what, hint=hint).astype(np.float64)


TRAINED_HINT = "train_vae: after training, NaN outputs mean the losses diverged (their signs, the learning rate)"


def encode(
    encoder: Handle,
    x: np.ndarray,
    *,
    latent_dim: int = LATENT_DIM,
    hint: str = "build_encoder: a keras.Model with two outputs, [mean, log_variance]",
) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's ``[mean, log_variance]`` for ``x`` (predict_on_batch), each (len(x), latent_dim), or fail."""
    what = f"encoder.predict_on_batch(x) for x of shape {x.shape}"
    outputs = encoder.predict_on_batch(x)
    if isinstance(outputs, Handle) or not isinstance(outputs, (list, tuple)) or len(outputs) != 2:
        raise CheckFailed(
            f"{what} should give two arrays, the mean and the log-variance, but it gave "
            f"{describe(outputs)}. Look at {hint}."
        )
    shape = (len(x), latent_dim)
    return (
        read_array(outputs[0], shape, what=f"the mean from {what}", hint=hint),
        read_array(outputs[1], shape, what=f"the log-variance from {what}", hint=hint),
    )


def decode(
    decoder: Handle,
    z: np.ndarray,
    *,
    data_dim: int = DATA_DIM,
    hint: str = "build_decoder: Dense(data_dim) with a sigmoid",
) -> np.ndarray:
    """The decoder's output for ``z`` (predict_on_batch), shape (len(z), data_dim), or fail."""
    return read_array(
        decoder.predict_on_batch(np.asarray(z, dtype=np.float32)),
        (len(z), data_dim),
        what=f"decoder.predict_on_batch(z) for z of shape {np.shape(z)}",
        hint=hint,
    )


def verified(submission, model: Handle, *, what: str, rng: np.random.Generator) -> VerifiedModel:
    """The candidate's model rebuilt here and proven, on secret probe inputs, to compute what theirs computes."""
    return verify_keras_model(submission, model, rng=rng, what=what)


def set_all_but_last_to_zero(
    submission, model: Handle, last: np.ndarray | None, *, what: str, rng: np.random.Generator, inputs: int
) -> tuple[VerifiedModel, list[np.ndarray]]:
    """Set every weight of the candidate's model to 0 (its last one to ``last``, if given) and verify the result.

    A stack of Dense layers whose kernels are all 0 gives the same outputs whatever its input: its last biases
    through the last activations.  Returns the verified rebuild and its outputs on 16 random inputs, which the
    check has made sure are the same for every input.
    """
    weights = [
        np.zeros_like(weight, dtype=np.float32) for weight in verified(submission, model, what=what, rng=rng).weights()
    ]
    if last is not None and weights and weights[-1].shape == last.shape:
        weights[-1] = last.astype(np.float32)
    model.set_weights(weights)
    rebuilt = verified(submission, model, what=f"{what} after set_weights", rng=rng)
    outputs = rebuilt.predict(rng.uniform(0.0, 1.0, (16, inputs)).astype(np.float32))
    for index, output in enumerate(outputs):
        expect_close(
            output,
            np.broadcast_to(output[:1], output.shape),
            rtol=1e-6,
            atol=1e-6,
            what=f"output {index} of {what} with every weight set to 0 but its last bias (set_weights), "
            "for 16 different inputs",
            hint="the architecture: a stack of Dense layers (no layers that add their input to the output)",
        )
    return rebuilt, outputs
