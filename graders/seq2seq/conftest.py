"""Shared fixtures of the seq2seq checks: an untrained model, one training run on the reverse task, one probe run.

The training pairs are drawn from the run's secret and sent to the worker;
held-out sources are drawn fresh by the checks and their answers never leave the
grader.  Every metric is computed here on rebuilds proven (``verify_keras_model``)
to compute what the candidate's models compute.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from seq2seq_reference import (
    EMBEDDING_DIM,
    TRAIN_DEADLINE_SECONDS,
    TRAIN_ROWS,
    TRAINING,
    UNITS,
    VOCAB,
    reverse_task,
    simulate_probe,
    verified,
)

from harness.checks import Handle

# The probe run: PROBE_ROWS copies of one secret row, in batches of 8, 8 and 4, for 2 epochs, with a start token
# that is a symbol (not START) and another vocabulary size, so that a train_seq2seq that ignores any argument
# (or keeps the first value it received) gives other losses.  With a repeated row, shuffling cannot matter.
PROBE_VOCAB = VOCAB + 2
PROBE_EMBEDDING_DIM, PROBE_UNITS = 8, 24  # not the defaults (16, 64): test_layer_sizes_follow_arguments reads them
PROBE = {"epochs": 2, "batch_size": 8, "learning_rate": 0.03}  # not the default 0.01 of train_seq2seq
PROBE_ROWS = 20
PROBE_BATCHES = [8, 8, 4]
PROBE_SOURCE_LENGTH, PROBE_TARGET_LENGTH = 3, 5


@dataclass
class Untrained:
    """A fresh model of the task's vocabulary and its verified rebuild."""

    handle: Handle
    rebuild: Any


@dataclass
class Trained:
    """The model trained on the reverse task, what train_seq2seq returned, and the verified rebuild after it."""

    handle: Handle
    history: Any
    verified: Any  # the VerifiedModel

    @property
    def rebuild(self) -> Any:
        """The trusted Keras model."""
        return self.verified.model


@dataclass
class Probe:
    """The probe run's history and the losses the contract gives for it (the grader's own simulation)."""

    history: Any
    expected: list[float]
    batch_losses: list[list[float]]
    start_token: int
    start: Any  # the VerifiedModel of the fresh model (its weights then trained by the simulation)
    handle: Handle  # the candidate's model after the probe run
    after: Any  # its VerifiedModel after the run
    inputs: list[np.ndarray]  # 8 rows of the probe pair: [sources, decoder inputs], and their targets
    targets: np.ndarray


@pytest.fixture(scope="session")
def untrained(submission, secret) -> Untrained:
    """Build a model of the task's vocabulary and verify it (never trained)."""
    handle = submission.build_seq2seq(VOCAB, EMBEDDING_DIM, UNITS)
    return Untrained(handle, verified(submission, handle, secret.rng("verify untrained"), what="build_seq2seq(...)"))


@pytest.fixture(scope="session")
def trained(submission, secret) -> Trained:
    """Build a model and train it once on the run's reverse-task pairs (the checks that need it share it)."""
    sources, targets = reverse_task(secret.rng("training pairs"), TRAIN_ROWS)
    handle = submission.build_seq2seq(VOCAB, EMBEDDING_DIM, UNITS)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_seq2seq(handle, sources, targets, 1, **TRAINING)
    rebuild = verified(submission, handle, secret.rng("verify trained"), what="the model after train_seq2seq")
    return Trained(handle, history, rebuild)


@pytest.fixture(scope="session")
def probe(submission, secret, trained) -> Probe:
    """Train a fresh build_seq2seq(12, 8, 24) on one repeated secret row; simulate the run on its verified rebuild.

    The probe run always comes after the main training (``trained``), whatever order the checks run in: a
    train_seq2seq that keeps the first value it received for an argument (START, 10 epochs of 32 rows at 0.02)
    then trains the probe with it, and its losses miss the simulation's.  The other way round, the probe run
    would be the right one and the main training might hide the error (the start token: it did, seed 0).
    """
    rng = secret.rng("probe")
    handle = submission.build_seq2seq(PROBE_VOCAB, PROBE_EMBEDDING_DIM, PROBE_UNITS)
    start = verified(submission, handle, rng, what="build_seq2seq(...)", vocab=PROBE_VOCAB)
    source = rng.integers(3, PROBE_VOCAB, size=PROBE_SOURCE_LENGTH).astype(np.int32)
    target = rng.integers(3, PROBE_VOCAB, size=PROBE_TARGET_LENGTH).astype(np.int32)
    start_token = int(rng.integers(3, PROBE_VOCAB))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulate probe") as pool:  # while the worker trains
        simulation = pool.submit(
            simulate_probe,
            start.model,
            source,
            target,
            start_token,
            PROBE_BATCHES,
            PROBE["epochs"],
            PROBE["learning_rate"],
        )
        history = submission.with_deadline(60).train_seq2seq(
            handle, np.tile(source, (PROBE_ROWS, 1)), np.tile(target, (PROBE_ROWS, 1)), start_token, **PROBE
        )
        expected, batch_losses = simulation.result()
    after = verified(submission, handle, rng, what="the model after train_seq2seq", vocab=PROBE_VOCAB)
    decoder_inputs = np.concatenate([[start_token], target[:-1]]).astype(np.int32)
    inputs = [np.tile(source, (8, 1)), np.tile(decoder_inputs, (8, 1))]
    return Probe(history, expected, batch_losses, start_token, start, handle, after, inputs, np.tile(target, (8, 1)))
