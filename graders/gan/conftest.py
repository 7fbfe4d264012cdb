"""Shared fixtures of the gan checks: the run's target distribution and its training data, and one training run.

The target is a 2-D Gaussian whose mean lies 2 to 4 away from the origin along
each axis (sign random) and whose covariance has a random orientation and
standard deviations 0.3 to 1.0 along its principal axes, all drawn from the
run's seed (gan_reference.make_target).  The worker receives 2,000 points drawn
from it; the mean and covariance stay here.  Samples of the trained generator
are judged against fresh target points with the energy distance, computed here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from gan_reference import (DATA_DIM, JUDGE_SAMPLES, LATENT_DIM, TRAIN_DEADLINE_SECONDS, TRAIN_POINTS, TRAINING, Target,
                           make_target, model_outputs)
from harness.checks import Handle


@dataclass
class TrainedGan:
    """The candidate's networks after ``train_gan``, what it returned, and a sample taken before training."""

    generator: Handle
    discriminator: Handle
    history: Any
    seconds: float
    initial_samples: np.ndarray
    judge_noise: np.ndarray


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
    initial_samples = model_outputs(generator, judge_noise, what="the untrained generator's predict_on_batch(noise)",
                                    columns=DATA_DIM, hint="build_generator")
    started = time.perf_counter()
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_gan(
        generator, discriminator, training_data, LATENT_DIM, **TRAINING, seed=worker_seed)
    return TrainedGan(generator, discriminator, history, time.perf_counter() - started, initial_samples, judge_noise)
