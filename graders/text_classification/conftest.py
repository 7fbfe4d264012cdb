"""Shared data and fixtures of the text_classification checks: synthetic token sequences, models trained once.

Token ids run from 1 to ``VOCAB_SIZE - 1``; 0 is padding.  Every run draws from
its secret a random role for each token:

- the **presence task** (3 classes): each class owns two keyword tokens; a
  sequence of 5 to 20 filler tokens holds exactly one keyword, of its class.
  Averaged embeddings find it easily (the reference reaches ~1.0 accuracy).
- the **order task** (2 classes): a sequence of 6 to 16 filler tokens holds two
  marker tokens A and B once each, at random places; the label says whether A
  comes before B.  Every sequence of either class holds the same kind of bag of
  tokens, so a model that ignores the order (any pooling of the embeddings)
  cannot beat chance (0.5), while an LSTM learns it in a few epochs.

The grader pads every batch itself (at the end, with 0) and trains each model
with ``model.fit`` on the handle, so the candidate's compile settings decide how
it learns.  Sequences for judging are drawn by each check from its own
generator; their labels stay in the grader.  What the worker says about a model
(layers, loss, weights) is verified first: ``verify_keras_model`` rebuilds it and
proves the rebuild computes what the candidate's model computes on secret tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from text_tasks import (
    BAG_SETTINGS,
    BATCH_SIZE,
    EPOCHS,
    LSTM_SETTINGS,
    NUM_CLASSES,
    ORDER_TRAIN_SEQUENCES,
    PROBE_SEQUENCES,
    TRAIN_SEQUENCES,
    VOCAB_SIZE,
    Vocabulary,
    draw_vocabulary,
    pad,
    random_token_ids,
)

from harness.checks import model_outputs, verify_keras_model


@dataclass
class TrainedModel:
    """A candidate's model after the grader's ``model.fit``, with its training data and outputs before it."""

    model: Any
    x: np.ndarray
    labels: np.ndarray
    outputs_before: Any
    call: str


@pytest.fixture(scope="session")
def vocabulary(secret) -> Vocabulary:
    """The run's token roles."""
    return draw_vocabulary(secret.rng("vocabulary"))


def _fit(submission, model, x: np.ndarray, labels: np.ndarray, what: str) -> TrainedModel:
    outputs_before = model.predict_on_batch(x)
    model.fit(x, labels, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return TrainedModel(
        model,
        x,
        labels,
        outputs_before,
        f"model.fit(x, y, epochs={EPOCHS}, batch_size={BATCH_SIZE}) on {len(x)} {what}",
    )


@pytest.fixture(scope="session")
def bag_on_presence(submission, secret, vocabulary) -> TrainedModel:
    """``build_bag_of_embeddings(60, 3)`` trained on the presence task by the grader."""
    sequences, labels = vocabulary.presence(secret.rng("presence training"), TRAIN_SEQUENCES)
    model = submission.build_bag_of_embeddings(VOCAB_SIZE, NUM_CLASSES)
    return _fit(submission, model, pad(sequences), labels, "presence-task sequences")


@pytest.fixture(scope="session")
def lstm_on_order(submission, secret, vocabulary) -> TrainedModel:
    """``build_lstm_classifier(60, 2)`` trained on the order task by the grader."""
    sequences, labels = vocabulary.order(secret.rng("order training"), ORDER_TRAIN_SEQUENCES)
    model = submission.build_lstm_classifier(VOCAB_SIZE, 2)
    return _fit(submission, model, pad(sequences), labels, "order-task sequences")


@pytest.fixture(scope="session")
def bag_on_order(submission, secret, vocabulary) -> TrainedModel:
    """``build_bag_of_embeddings(60, 2)`` trained on the order task (the same sequences as the LSTM)."""
    sequences, labels = vocabulary.order(secret.rng("order training"), ORDER_TRAIN_SEQUENCES)
    model = submission.build_bag_of_embeddings(VOCAB_SIZE, 2)
    return _fit(submission, model, pad(sequences), labels, "order-task sequences")


@dataclass
class BuiltModel:
    """A fresh model, the call that built it, and the grader's verified rebuild of it."""

    handle: Any
    verified: Any
    call: str
    vocab_size: int
    num_classes: int
    embedding_dim: int
    units: int | None = None


def _build_and_verify(submission, secret, function: str, settings: tuple) -> BuiltModel:
    call = f"{function}({', '.join(str(value) for value in settings)})"
    handle = getattr(submission, function)(*settings)
    probe = random_token_ids(secret.rng("probe", call), PROBE_SEQUENCES, settings[0])
    # The candidate's model first: a model that cannot take token ids up to vocab_size - 1 fails here, in its own
    # process, before the grader's rebuild of it is asked to.
    model_outputs(
        handle,
        probe,
        shape=(PROBE_SEQUENCES, None),
        what=f"model.predict_on_batch(x) of {call} for "
        f"{PROBE_SEQUENCES} padded sequences of tokens up to {settings[0] - 1}",
        hint="the input_dim of the Embedding (vocab_size)",
    )
    verified = verify_keras_model(submission, handle, probe_inputs=probe, what=call)
    return BuiltModel(handle, verified, call, *settings)


@pytest.fixture(scope="session")
def bag_models(submission, secret) -> list[BuiltModel]:
    """Fresh bag-of-embeddings models for ``BAG_SETTINGS``, verified on secret token ids."""
    return [_build_and_verify(submission, secret, "build_bag_of_embeddings", settings) for settings in BAG_SETTINGS]


@pytest.fixture(scope="session")
def lstm_models(submission, secret) -> list[BuiltModel]:
    """Fresh LSTM classifiers for ``LSTM_SETTINGS``, verified on secret token ids."""
    return [_build_and_verify(submission, secret, "build_lstm_classifier", settings) for settings in LSTM_SETTINGS]
