"""Shared fixtures of the vae checks: the run's training images, the candidate's VAE trained once, and two short runs.

The training images are drawn from the run's secret (vae_reference.blob_images)
and sent to the worker; images for judging are drawn fresh by each check from
its own generator and never reach train_vae.  The networks stay in the worker
(handles); the checks ask them for their outputs and compute every metric here.
Weights are read only from models rebuilt and verified by verify_keras_model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from vae_reference import (
    DATA_DIM,
    LATENT_DIM,
    TRAIN_DEADLINE_SECONDS,
    TRAIN_IMAGES,
    TRAINING,
    blob_images,
    reconstruction_reference,
    set_all_but_last_to_zero,
    verified,
)

from harness.checks import Handle


@dataclass
class TrainedVae:
    """The candidate's networks after ``train_vae``, and what it returned."""

    encoder: Handle
    decoder: Handle
    history: Any


@pytest.fixture(scope="session")
def training_images(secret) -> np.ndarray:
    """The run's 2,000 training images (sent to train_vae)."""
    return blob_images(secret.rng("training images"), TRAIN_IMAGES)


@pytest.fixture(scope="session")
def trained(submission, training_images, worker_seed) -> TrainedVae:
    """Build an encoder and a decoder and train them once per run with train_vae (shared by the checks)."""
    encoder = submission.build_encoder(DATA_DIM, LATENT_DIM)
    decoder = submission.build_decoder(LATENT_DIM, DATA_DIM)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_vae(
        encoder, decoder, training_images, LATENT_DIM, **TRAINING, seed=worker_seed
    )
    return TrainedVae(encoder, decoder, history)


ONE_STEP_LATENT_DIM = 2  # not LATENT_DIM, so that a train_vae that ignores latent_dim fails
ONE_STEP_IMAGES = 96  # one batch of 96 rows: a train_vae that ignores batch_size (64) makes two steps
FROZEN_LEARNING = {"epochs": 3, "batch_size": 8, "learning_rate": 0.0}  # + seed=<worker seed>
FROZEN_IMAGES = 48  # six full batches of 8 per epoch


@dataclass
class OneStep:
    """One train_vae step (epochs=1, one batch) from an encoder whose outputs are all 0."""

    learning_rate: float
    weights_before: list[np.ndarray]  # both networks, verified
    weights_after: list[np.ndarray]  # both networks after the step, verified
    mean_after: np.ndarray  # the encoder's outputs on fresh images after the step (its rebuild's)
    log_variance_after: np.ndarray


@dataclass
class FrozenRun:
    """A train_vae run with learning_rate=0 on an all-zero encoder and a constant decoder."""

    call: str
    history: Any
    weights_before: list[np.ndarray]
    weights_after: list[np.ndarray]
    expected_reconstruction: float  # the mean over the data's rows of their reconstruction loss


@pytest.fixture(scope="session")
def one_step(submission, secret, worker_seed) -> OneStep:
    """Zero the encoder's weights (mean 0, log-variance 0: the KL term has no gradient there), then train one step.

    Whatever moves the encoder's outputs in that step is a gradient that came through z = sample_z(...).
    """
    rng = secret.rng("one step")
    encoder = submission.build_encoder(DATA_DIM, ONE_STEP_LATENT_DIM)
    decoder = submission.build_decoder(ONE_STEP_LATENT_DIM, DATA_DIM)
    zero_encoder, _ = set_all_but_last_to_zero(submission, encoder, None, what="the encoder", rng=rng, inputs=DATA_DIM)
    before = zero_encoder.weights() + verified(submission, decoder, what="the decoder", rng=rng).weights()
    learning_rate = float(np.round(rng.uniform(1.5e-3, 2.5e-3), 5))  # 0.6-0.83 of the default 3e-3
    submission.with_deadline(60).train_vae(
        encoder,
        decoder,
        blob_images(rng, ONE_STEP_IMAGES),
        ONE_STEP_LATENT_DIM,
        epochs=1,
        batch_size=ONE_STEP_IMAGES,
        learning_rate=learning_rate,
        seed=worker_seed,
    )
    trained_encoder = verified(submission, encoder, what="the encoder after train_vae", rng=rng)
    after = (
        trained_encoder.weights() + verified(submission, decoder, what="the decoder after train_vae", rng=rng).weights()
    )
    mean, log_variance = trained_encoder.predict(blob_images(rng, 64))[:2]
    return OneStep(learning_rate, before, after, mean, log_variance)


@pytest.fixture(scope="session")
def frozen(submission, secret, worker_seed) -> FrozenRun:
    """train_vae with learning_rate=0 where every batch's loss depends on its images only, not on epsilon.

    With an all-zero encoder (mean 0, log-variance 0, so KL 0) and a decoder that outputs the same probabilities
    p for every z, a batch's loss is the mean over its rows of BCE(x, p): the mean over an epoch's equal batches is
    the mean over all rows, whatever the order; the last batch's alone is not.
    """
    rng = secret.rng("frozen run")
    encoder = submission.build_encoder(DATA_DIM, LATENT_DIM)
    decoder = submission.build_decoder(LATENT_DIM, DATA_DIM)
    zero_encoder, _ = set_all_but_last_to_zero(submission, encoder, None, what="the encoder", rng=rng, inputs=DATA_DIM)
    constant_decoder, outputs = set_all_but_last_to_zero(
        submission, decoder, rng.normal(0.0, 1.5, DATA_DIM), what="the decoder", rng=rng, inputs=LATENT_DIM
    )
    images = blob_images(rng, FROZEN_IMAGES)
    expected = float(reconstruction_reference(images, np.broadcast_to(outputs[0][:1], images.shape)).mean())
    before = zero_encoder.weights() + constant_decoder.weights()
    call = (
        f"train_vae(encoder, decoder, images, {LATENT_DIM}, epochs={FROZEN_LEARNING['epochs']}, "
        f"batch_size={FROZEN_LEARNING['batch_size']}, learning_rate=0, seed={worker_seed}) on "
        f"{FROZEN_IMAGES} images"
    )
    history = submission.with_deadline(60).train_vae(
        encoder, decoder, images, LATENT_DIM, **FROZEN_LEARNING, seed=worker_seed
    )
    after = (
        verified(submission, encoder, what="the encoder after train_vae", rng=rng).weights()
        + verified(submission, decoder, what="the decoder after train_vae", rng=rng).weights()
    )
    return FrozenRun(call, history, before, after, expected)
