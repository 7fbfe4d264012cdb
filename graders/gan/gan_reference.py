"""The gan grader's data and references: the secret 2-D Gaussian target, the cross-entropies, Adam, energy distance.

Everything here is the grader's own, in float64 NumPy (and TensorFlow for the
gradients of a verified, rebuilt discriminator): the checks compare what the
candidate's code returns, and what its networks become, with it.  Weights are
only ever read from a model rebuilt and verified by ``verify_keras_model``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.checks import VerifiedModel, expect_close, verify_keras_model

LATENT_DIM = 4
DATA_DIM = 2
TRAIN_POINTS = 2000
TRAINING = {"steps": 300, "batch_size": 64, "discriminator_steps": 2, "learning_rate": 2e-3}  # + seed=<worker seed>
TRAIN_DEADLINE_SECONDS = 150
JUDGE_SAMPLES = 1000

# The contract's optimizer: keras.optimizers.Adam(learning_rate, beta_1=0.5), Keras's defaults otherwise.
ADAM_BETA_1 = 0.5
KERAS_DEFAULT_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7


@dataclass(frozen=True)
class Target:
    """The run's target distribution: a 2-D Gaussian."""

    mean: np.ndarray
    covariance: np.ndarray

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.multivariate_normal(self.mean, self.covariance, size=count).astype(np.float32)


def make_target(seed: int) -> Target:
    """A Gaussian 2 to 4 away from the origin along each axis, of random orientation and spreads 0.3 to 1.0."""
    rng = np.random.default_rng([seed, 1])
    mean = rng.uniform(2.0, 4.0, size=DATA_DIM) * rng.choice([-1.0, 1.0], size=DATA_DIM)
    angle = rng.uniform(0.0, math.pi)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    deviations = rng.uniform(0.3, 1.0, size=DATA_DIM)
    return Target(mean, rotation @ np.diag(deviations**2) @ rotation.T)


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


def loss_cases(rng):
    """(label, real logits, fake logits): random, confident, fooled, and logits as large as +-30."""
    return [
        ("random logits", rng.normal(0.0, 2.0, size=(16, 1)), rng.normal(0.0, 2.0, size=(16, 1))),
        ("a confident, right discriminator", rng.uniform(3, 6, size=(8, 1)), rng.uniform(-6, -3, size=(8, 1))),
        ("a fooled discriminator", rng.uniform(-6, -3, size=(8, 1)), rng.uniform(3, 6, size=(8, 1))),
        ("logits of +-30", np.array([[30.0], [-30.0], [25.0], [-2.0]]), np.array([[-30.0], [30.0], [1.0], [-25.0]])),
    ]


def probability_hint(*outputs: np.ndarray) -> str:
    """A hint for discriminators that end in a sigmoid: their outputs all lie in (0, 1)."""
    values = np.concatenate([np.ravel(output) for output in outputs])
    if values.size and values.min() > 0.0 and values.max() < 1.0:
        return (
            "; every output of your discriminator lies in (0, 1): it looks like it ends in a sigmoid, and "
            "Keras's cross-entropy then quietly uses the logits under it, so the loss no longer matches what the "
            "discriminator outputs: end it with Dense(1) and no activation"
        )
    return ""


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """The energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| between two samples (0 for equal distributions)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def mean_distance(a, b):
        return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)).mean())

    return 2 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y)


def verified(submission, model, *, what: str, rng: np.random.Generator) -> VerifiedModel:
    """The candidate's model rebuilt here and proven, on secret probe inputs, to compute what theirs computes."""
    return verify_keras_model(submission, model, rng=rng, what=what)


def weights_of(submission, model, *, what: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A Keras model's weights as float64 arrays, read from its verified rebuild (never from its own report)."""
    return verified(submission, model, what=what, rng=rng).weights()


def discriminator_gradients(discriminator: VerifiedModel, real: np.ndarray, fake: np.ndarray) -> list[np.ndarray]:
    """The gradient of mean(softplus(-D(real))) + mean(softplus(D(fake))) for each of the rebuild's weights."""
    import tensorflow as tf

    model = discriminator.model
    with tf.GradientTape() as recorder:
        loss = tf.reduce_mean(tf.nn.softplus(-model(real, training=True))) + tf.reduce_mean(
            tf.nn.softplus(model(fake, training=True))
        )
    trainable = {
        id(variable): gradient
        for variable, gradient in zip(model.trainable_variables, recorder.gradient(loss, model.trainable_variables))
    }
    return [
        np.zeros(tuple(variable.shape))
        if trainable.get(id(variable)) is None
        else np.asarray(trainable[id(variable)], dtype=np.float64)
        for variable in model.weights
    ]


def adam_weights(
    start: list[np.ndarray], gradients: list[list[np.ndarray]], *, learning_rate: float, beta_1: float
) -> list[list[np.ndarray]]:
    """The weights after each of Keras's Adam updates from a fresh optimizer, one gradient list per update."""
    momentum = [np.zeros_like(weight) for weight in start]
    velocity = [np.zeros_like(weight) for weight in start]
    weights, trajectory = [weight.copy() for weight in start], []
    for step, gradient in enumerate(gradients, start=1):
        alpha = learning_rate * math.sqrt(1 - ADAM_BETA_2**step) / (1 - beta_1**step)
        for index, value in enumerate(gradient):
            momentum[index] += (value - momentum[index]) * (1 - beta_1)
            velocity[index] += (value**2 - velocity[index]) * (1 - ADAM_BETA_2)
            weights[index] = weights[index] - alpha * momentum[index] / (np.sqrt(velocity[index]) + ADAM_EPSILON)
        trajectory.append([weight.copy() for weight in weights])
    return trajectory


def flat(weights: list[np.ndarray]) -> np.ndarray:
    """All weights in one float64 vector."""
    return np.concatenate([np.ravel(weight) for weight in weights]) if weights else np.zeros(0)


def make_constant(
    submission, model, value: np.ndarray, *, what: str, rng: np.random.Generator, inputs: int
) -> tuple[VerifiedModel, np.ndarray]:
    """Zero every weight of the candidate's model but its last bias (``value``); return it verified, and its output.

    A stack of Dense layers whose kernels are all 0 gives the same output, its last bias passed through the last
    activation, whatever its input: the check verifies exactly that on the rebuild.
    """
    weights = [np.zeros_like(weight, dtype=np.float32) for weight in weights_of(submission, model, what=what, rng=rng)]
    if weights and weights[-1].shape == value.shape:
        weights[-1] = value.astype(np.float32)
    model.set_weights(weights)
    rebuilt = verified(submission, model, what=f"{what} after set_weights", rng=rng)
    outputs = rebuilt.predict(rng.standard_normal((16, inputs)).astype(np.float32))[0]
    expect_close(
        outputs,
        np.broadcast_to(outputs[:1], outputs.shape),
        rtol=1e-6,
        atol=1e-6,
        what=f"the outputs of {what} with every weight set to 0 but its last bias (set_weights), for 16 "
        "different inputs",
        hint="the architecture: a stack of Dense layers (no layers that add their input to the output)",
    )
    return rebuilt, outputs[0].astype(np.float32)
