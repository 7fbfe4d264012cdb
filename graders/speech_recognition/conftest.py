"""Shared data and fixtures of the speech_recognition checks: secret utterances, and the candidate's model trained once.

The utterances are synthetic "spoken digits" (``utterances.py``): two vowels of
two formants each, in an order that names the digit, with a random length, a
random silence before and after, and noise. The grader computes their log-mel
frames itself (``mel_reference.py``, 8 kHz, 256-sample frames every 128 samples,
20 mel bins), standardises them and pads each batch with all-zero frames; the
candidate's ``log_mel_features`` is judged on its own checks, so a wrong feature
function never costs the model checks.

Every waveform comes from the run's secret: the training utterances and their
labels go to the worker (``train`` needs them); the utterances that judge the
model are drawn by each check from its own generator and their labels stay
here. What the worker says about a model is verified first
(``verify_keras_model``): the grader rebuilds it and proves the rebuild computes
what the candidate's model computes on secret utterances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import utterances
from utterances import STEP_UTTERANCES

from harness.checks import expect_changed, verify_keras_model

TRAIN_UTTERANCES = 240
EPOCHS = 6  # 60 optimizer steps: the reference reaches ~0.99 accuracy (CALIBRATION.md); not train's default 5
BATCH_SIZE = 24  # not train's default 32, so that a train ignoring it shows
TRAIN_DEADLINE_SECONDS = 60
PROBE_UTTERANCES = 8  # secret utterances on which a model's description is verified


@dataclass
class TrainedModel:
    """The candidate's model after ``train``: a handle, its outputs on the training set before, and the history."""

    model: Any
    outputs_before: Any
    history: Any
    call: str = f"train(model, x, y, epochs={EPOCHS}, batch_size={BATCH_SIZE})"
    epochs: int = EPOCHS


@pytest.fixture(scope="session")
def training_set(secret):
    """The run's training utterances (padded features, labels, frame counts), sent to the worker."""
    return utterances.utterances(secret.rng("training utterances"), TRAIN_UTTERANCES)


@pytest.fixture(scope="session")
def probe_features(secret) -> np.ndarray:
    """Secret padded utterances on which the grader verifies what the worker says about a model."""
    return utterances.utterances(secret.rng("probe utterances"), PROBE_UTTERANCES)[0]


@pytest.fixture(scope="session")
def fresh_model(submission):
    """An untrained model, ``build_model(20, 10)``, shared by the structure checks."""
    return submission.build_model(utterances.NUM_MEL_BINS, utterances.NUM_CLASSES)


@pytest.fixture(scope="session")
def verified_fresh_model(submission, fresh_model, probe_features):
    """The grader's rebuild of ``build_model(20, 10)``, proven to compute what the candidate's model does."""
    return verify_keras_model(
        submission,
        fresh_model,
        probe_inputs=probe_features,
        what=f"build_model({utterances.NUM_MEL_BINS}, {utterances.NUM_CLASSES})",
    )


@pytest.fixture(scope="session")
def trained(submission, training_set) -> TrainedModel:
    """Build a model and train it once per run: ``train(model, x, y, epochs=6, batch_size=24)``."""
    features, labels, _ = training_set
    model = submission.build_model(utterances.NUM_MEL_BINS, utterances.NUM_CLASSES)
    outputs_before = model.predict_on_batch(features)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(
        model, features, labels, epochs=EPOCHS, batch_size=BATCH_SIZE
    )
    return TrainedModel(model=model, outputs_before=outputs_before, history=history)


def _trainable_weights(verified) -> list[np.ndarray]:
    return [np.asarray(weight, dtype=np.float64) for weight in verified.model.trainable_weights]


@pytest.fixture(scope="session")
def step_change(submission, secret, probe_features):
    """``change(learning_rate=..., batch_size=...)``: the largest verified weight change of one epoch of training.

    A fresh ``build_model(20, 10, learning_rate)`` is trained for one epoch on 48 secret utterances; its
    trainable weights are read from rebuilds proven to compute what the candidate's model computes, before
    and after, so the change is measured, not reported. With Adam a weight moves by at most the learning
    rate per step, and the weight with the steadiest gradient by about that much: the largest change is
    proportional to the learning rate and grows with the number of optimizer steps.
    """
    features, labels, _ = utterances.utterances(secret.rng("step utterances"), STEP_UTTERANCES)
    what = f"build_model({utterances.NUM_MEL_BINS}, {utterances.NUM_CLASSES}, learning_rate={{}})"
    cache: dict[tuple[float, int], float] = {}

    def change(*, learning_rate: float, batch_size: int) -> float:
        if (learning_rate, batch_size) not in cache:
            built = what.format(learning_rate)
            model = submission.build_model(utterances.NUM_MEL_BINS, utterances.NUM_CLASSES, learning_rate)
            before = verify_keras_model(submission, model, probe_inputs=probe_features, what=built)
            submission.train(model, features, labels, epochs=1, batch_size=batch_size)
            call = f"train(model, x, y, epochs=1, batch_size={batch_size}) on {STEP_UTTERANCES} utterances"
            after = verify_keras_model(submission, model, probe_inputs=probe_features, what=f"{built} after {call}")
            cache[learning_rate, batch_size] = expect_changed(
                _trainable_weights(before),
                _trainable_weights(after),
                what=f"the trainable weights of {built} after {call}",
                hint="train must fit the model it is given (model.fit), not a copy",
            )
        return cache[learning_rate, batch_size]

    return change
