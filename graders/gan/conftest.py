"""Shared fixtures of the gan checks: the run's secret target and training data, one training run, two frozen runs.

The target is a 2-D Gaussian whose mean lies 2 to 4 away from the origin along
each axis (sign random) and whose covariance has a random orientation and
standard deviations 0.3 to 1.0 along its principal axes, drawn from the run's
secret (gan_reference.make_target).  The worker receives 2,000 points drawn
from it; the mean and covariance stay here.  Samples of the trained generator
are judged against fresh target points with the energy distance, computed here.

The frozen runs call train_gan with learning_rate=0 on networks the grader can
predict exactly: a generator whose weights are all 0 but its last bias (so it
outputs one point, whatever the noise) and data made of two points only.  Then
every discriminator loss is that of a batch holding k copies of the first point
and batch_size - k of the second, for some k, and every generator loss is the
same number: the grader computes both from the verified networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from gan_reference import (
    DATA_DIM,
    JUDGE_SAMPLES,
    LATENT_DIM,
    TRAIN_DEADLINE_SECONDS,
    TRAIN_POINTS,
    TRAINING,
    Target,
    make_constant,
    make_target,
    softplus,
    verified,
)

from harness.checks import Handle, model_outputs

FROZEN = {"steps": 6, "batch_size": 5, "discriminator_steps": 3, "learning_rate": 0.0}  # + seed=<worker seed (+1)>
FROZEN_LATENT_DIM = 3  # not LATENT_DIM, so that a train_gan that ignores latent_dim fails
FROZEN_COPIES = 20  # of each of the two data points
FROZEN_CANDIDATES = 64  # points whose logits the grader compares to pick the two most different ones


@dataclass
class TrainedGan:
    """The candidate's networks after ``train_gan``, what it returned, and a sample taken before training."""

    generator: Handle
    discriminator: Handle
    history: Any
    initial_samples: np.ndarray
    judge_noise: np.ndarray


@dataclass
class FrozenRuns:
    """Two train_gan runs with learning_rate=0 (seeds s and s + 1) and the losses the grader expects of them."""

    seeds: tuple[int, int]
    histories: list[Any]
    weights_before: list[np.ndarray]  # both networks' weights before the runs (verified)
    weights_after: list[list[np.ndarray]]  # and after each run (verified)
    real_losses: tuple[float, float]  # BCE(1, D(point)) of each of the two data points
    fake_loss: float  # BCE(0, D(the generator's constant output))
    generator_loss: float  # BCE(1, D(the generator's constant output))


@pytest.fixture(scope="session")
def target(data_seed) -> Target:
    """The run's target distribution."""
    return make_target(data_seed)


@pytest.fixture(scope="session")
def training_data(target, secret) -> np.ndarray:
    """The 2,000 target points sent to train_gan."""
    return target.sample(secret.rng("training points"), TRAIN_POINTS)


@pytest.fixture(scope="session")
def trained(submission, training_data, secret, worker_seed) -> TrainedGan:
    """Build both networks and train them once per run with train_gan (the checks that need it share it)."""
    generator = submission.build_generator(LATENT_DIM, DATA_DIM)
    discriminator = submission.build_discriminator(DATA_DIM)
    judge_noise = secret.rng("judge noise").standard_normal((JUDGE_SAMPLES, LATENT_DIM)).astype(np.float32)
    initial_samples = model_outputs(
        generator,
        judge_noise,
        shape=(JUDGE_SAMPLES, DATA_DIM),
        what="the untrained generator's predict_on_batch(noise)",
        hint="build_generator",
    )
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_gan(
        generator, discriminator, training_data, LATENT_DIM, **TRAINING, seed=worker_seed
    )
    return TrainedGan(generator, discriminator, history, initial_samples, judge_noise)


@pytest.fixture(scope="session")
def frozen(submission, secret, worker_seed) -> FrozenRuns:
    """Run train_gan twice with learning_rate=0 on a constant generator and two-point data (seeds s and s + 1)."""
    rng = secret.rng("frozen runs")
    generator = submission.build_generator(FROZEN_LATENT_DIM, DATA_DIM)
    discriminator = submission.build_discriminator(DATA_DIM)
    constant_generator, point = make_constant(
        submission, generator, rng.normal(0.0, 2.0, DATA_DIM), what="the generator", rng=rng, inputs=FROZEN_LATENT_DIM
    )
    frozen_discriminator = verified(submission, discriminator, what="the discriminator", rng=rng)
    before = constant_generator.weights() + frozen_discriminator.weights()
    candidates = rng.normal(0.0, 3.0, (FROZEN_CANDIDATES, DATA_DIM)).astype(np.float32)
    logits = frozen_discriminator.predict(candidates)[0][:, 0]
    pair = candidates[[int(np.argmax(logits)), int(np.argmin(logits))]]  # the two most different logits
    real_losses = softplus(-frozen_discriminator.predict(pair)[0][:, 0])
    fake_logit = float(frozen_discriminator.predict(point[None, :])[0][0, 0])
    data = np.repeat(pair, FROZEN_COPIES, axis=0)[rng.permutation(2 * FROZEN_COPIES)]
    seeds = (worker_seed, worker_seed + 1)
    histories, afters = [], []
    for seed in seeds:
        histories.append(
            submission.with_deadline(60).train_gan(
                generator, discriminator, data, FROZEN_LATENT_DIM, **FROZEN, seed=seed
            )
        )
        after = (
            verified(submission, generator, what="the generator after train_gan", rng=rng).weights()
            + verified(submission, discriminator, what="the discriminator after train_gan", rng=rng).weights()
        )
        afters.append(after)
    return FrozenRuns(
        seeds,
        histories,
        before,
        afters,
        (float(real_losses[0]), float(real_losses[1])),
        float(softplus(fake_logit)),
        float(softplus(-fake_logit)),
    )
