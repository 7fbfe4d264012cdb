"""Shared fixtures of the speech_synthesis checks: the run's language and data, one trained model, two short runs.

The language (each token's formants) and every token sequence are drawn from the
run's secret (synthesis_reference).  Noisy training frames are sent to
train_synthesizer; sequences for judging are drawn fresh by each check and never
reach the worker.  Weights are read only from models rebuilt and verified by
verify_keras_model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from synthesis_reference import (
    EMBEDDING_DIM,
    FRAME_DIM,
    FRAMES_PER_TOKEN,
    TRAIN_DEADLINE_SECONDS,
    TRAIN_SEQUENCES,
    TRAINING,
    UNITS,
    VOCAB_SIZE,
    Language,
    draw_language,
    draw_tokens,
    frames_for,
    noisy,
    verified,
)

from harness.checks import Handle, VerifiedModel, expect_shape

MODEL_SIZES = (VOCAB_SIZE, FRAME_DIM, FRAMES_PER_TOKEN, EMBEDDING_DIM, UNITS)  # build_synthesizer's arguments


@dataclass
class Trained:
    """The candidate's model after train_synthesizer on the run's training data, and what it returned."""

    model: Handle
    history: Any
    token_ids: np.ndarray
    frames: np.ndarray  # the noisy training frames it was given


@pytest.fixture(scope="session")
def language(secret) -> Language:
    """The run's secret sounds of the tokens."""
    return draw_language(secret.rng("language"))


@pytest.fixture(scope="session")
def trained(submission, secret, language) -> Trained:
    """Build a synthesizer and train it once per run (shared by the checks)."""
    rng = secret.rng("training data")
    token_ids = draw_tokens(rng, TRAIN_SEQUENCES)
    frames = noisy(rng, frames_for(language, token_ids))
    model = submission.build_synthesizer(*MODEL_SIZES)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_synthesizer(model, token_ids, frames, **TRAINING)
    return Trained(model, history, token_ids, frames)


ONE_STEP_SEQUENCES = 96  # one batch of 96: a train_synthesizer that ignores batch_size makes several steps


@dataclass
class OneStep:
    """One train_synthesizer step (epochs=1, one batch) from a verified fresh model; weights but embeddings."""

    call: str
    learning_rate: float
    weights_before: list[np.ndarray]
    weights_after: list[np.ndarray]


def dense_weights(model: VerifiedModel) -> list[np.ndarray]:
    """The weights of a verified model but its embeddings, as float64 arrays.

    Keras's Adam applies an Embedding's sparse gradient once per occurrence of a token in the batch, so an
    embedding row may move by several learning rates in one step; every other weight moves by at most one.
    """
    return [np.asarray(weight, dtype=np.float64) for weight in model.model.weights if weight.name != "embeddings"]


@dataclass
class Built:
    """A fresh model of MODEL_SIZES and its verified rebuild (before any training)."""

    model: Handle
    rebuilt: VerifiedModel


@pytest.fixture(scope="session")
def built(submission, secret) -> Built:
    """Build one fresh model and verify it; the structure checks read the rebuild, one_step then trains it."""
    model = submission.build_synthesizer(*MODEL_SIZES)
    call = "build_synthesizer({}, {}, {}, {}, {})".format(*MODEL_SIZES)
    return Built(model, verified(submission, model, what=f"{call}'s model", rng=secret.rng("built model")))


@pytest.fixture(scope="session")
def one_step(submission, secret, language, built) -> OneStep:
    """Train the fresh model for one epoch of one batch with a secret learning rate; keep its weights around it."""
    rng = secret.rng("one step")
    before = dense_weights(built.rebuilt)
    token_ids = draw_tokens(rng, ONE_STEP_SEQUENCES)
    learning_rate = float(np.round(rng.uniform(2e-3, 4e-3), 5))  # 2-4 times the default 1e-3
    call = (
        f"train_synthesizer(model, token_ids, frames, epochs=1, batch_size={ONE_STEP_SEQUENCES}, "
        f"learning_rate={learning_rate:g}) on {ONE_STEP_SEQUENCES} sequences"
    )
    submission.with_deadline(60).train_synthesizer(
        built.model,
        token_ids,
        noisy(rng, frames_for(language, token_ids)),
        epochs=1,
        batch_size=ONE_STEP_SEQUENCES,
        learning_rate=learning_rate,
    )
    after = dense_weights(verified(submission, built.model, what=f"the model after {call}", rng=rng))
    return OneStep(call, learning_rate, before, after)


FROZEN_TRAINING = {"epochs": 3, "batch_size": 16, "learning_rate": 0.0}
FROZEN_SEQUENCES = 64  # four full batches of 16 per epoch


@dataclass
class FrozenRun:
    """A train_synthesizer run with learning_rate=0: the model must not change, the loss is known in advance."""

    call: str
    history: Any
    model_after: Handle
    probe: np.ndarray  # secret token sequences
    outputs_before: np.ndarray  # the verified rebuild's frames for them, before the run
    expected_loss: float  # the mean squared error of the untouched model over all the run's frames


@pytest.fixture(scope="session")
def frozen(submission, secret, language) -> FrozenRun:
    """Train with learning_rate=0, so that each epoch's mean batch loss is the MSE over all the data."""
    rng = secret.rng("frozen run")
    model = submission.build_synthesizer(*MODEL_SIZES)
    start = verified(submission, model, what="build_synthesizer(...)'s model", rng=rng)
    token_ids = draw_tokens(rng, FROZEN_SEQUENCES)
    frames = noisy(rng, frames_for(language, token_ids))
    probe = draw_tokens(rng, 16)
    outputs = expect_shape(
        start.predict(token_ids)[0],
        frames.shape,
        what=f"the frames of build_synthesizer(...)'s model for token ids of shape {token_ids.shape}",
        hint="build_synthesizer: frames_per_token frames per token, Reshape((-1, frame_dim))",
    )
    expected = float(np.mean((outputs - frames) ** 2))
    call = (
        f"train_synthesizer(model, token_ids, frames, epochs={FROZEN_TRAINING['epochs']}, "
        f"batch_size={FROZEN_TRAINING['batch_size']}, learning_rate=0) on {FROZEN_SEQUENCES} sequences"
    )
    history = submission.with_deadline(60).train_synthesizer(model, token_ids, frames, **FROZEN_TRAINING)
    return FrozenRun(call, history, model, probe, start.predict(probe)[0], expected)
