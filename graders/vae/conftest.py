"""Shared fixtures of the vae checks: the run's training images, and the candidate's VAE trained once.

The training images are drawn from the run's seed (vae_reference.blob_images)
and sent to the worker; images for judging are drawn fresh by each check from
its own generator and never reach train_vae.  The networks stay in the worker
(handles); the checks ask them for their outputs and compute every metric here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from harness.checks import Handle
from vae_reference import DATA_DIM, LATENT_DIM, TRAIN_DEADLINE_SECONDS, TRAIN_IMAGES, TRAINING, blob_images


@dataclass
class TrainedVae:
    """The candidate's networks after ``train_vae``, what it returned, and how long it took."""

    encoder: Handle
    decoder: Handle
    history: Any
    seconds: float


@pytest.fixture(scope="session")
def training_images(secret) -> np.ndarray:
    """The run's 2,000 training images (sent to train_vae)."""
    return blob_images(secret.rng("training images"), TRAIN_IMAGES)


@pytest.fixture(scope="session")
def trained(submission, training_images, worker_seed) -> TrainedVae:
    """Build an encoder and a decoder and train them once per run with train_vae (shared by the checks)."""
    encoder = submission.build_encoder(DATA_DIM, LATENT_DIM)
    decoder = submission.build_decoder(LATENT_DIM, DATA_DIM)
    started = time.perf_counter()
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_vae(
        encoder, decoder, training_images, LATENT_DIM, **TRAINING, seed=worker_seed)
    return TrainedVae(encoder, decoder, history, time.perf_counter() - started)
