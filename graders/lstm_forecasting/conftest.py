"""Shared fixtures of the lstm_forecasting checks: the run's series, the candidate's model trained once.

Every series comes from the run's secret (see ``forecast_tasks``).  The training
windows the grader sends to ``train`` are its own (``forecast_tasks.prepare``),
so that the forecasting checks judge the model and its training, and the
``prepare_data`` checks judge the pipeline, each on its own.  The test targets
and the baselines stay in the grader.  What the worker says about a model
(layers, loss, weights) is verified first: ``verify_keras_model`` rebuilds it
and proves the rebuild computes what the candidate's model computes on secret
windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from forecast_tasks import HORIZON, STEPS, TRAIN_SIZE, Prepared, Series, prepare, probe_windows, seasonal_series

from harness.checks import expect_changed, verify_keras_model

EPOCHS = 10  # 250 optimizer steps on 782 windows
BATCH_SIZE = 32
TRAIN_DEADLINE_SECONDS = 60  # CPU seconds; the reference needs 2-3
STEP_WINDOWS = 96  # the small training set of the step checks
STEP_BATCHES = 4  # mini-batches of 24: four optimizer steps per epoch
PROBE_WINDOWS = 8


@dataclass
class ForecastTask:
    """The run's series, the grader's own prepared windows of it, and its period."""

    series: Series
    prepared: Prepared


@pytest.fixture(scope="session")
def task(secret) -> ForecastTask:
    """The run's series of 1000 values, prepared by the grader: train on the first 800, test on the last 200."""
    series = seasonal_series(secret.rng("series"))
    return ForecastTask(series, prepare(series.values, TRAIN_SIZE, STEPS, HORIZON))


@dataclass
class TrainedModel:
    """The candidate's model after ``train``: its handle, its outputs on the training windows before, the history."""

    model: Any
    outputs_before: Any
    history: Any
    call: str


@pytest.fixture(scope="session")
def trained(submission, task) -> TrainedModel:
    """``build_forecaster(16, 3)`` trained once per run: ``train(model, x_train, y_train, 10, 32)``."""
    prepared = task.prepared
    x_train = prepared.x_train.astype(np.float32)
    model = submission.build_forecaster(STEPS, HORIZON)
    outputs_before = model.predict_on_batch(x_train)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(
        model, x_train, prepared.y_train.astype(np.float32), EPOCHS, BATCH_SIZE
    )
    return TrainedModel(
        model,
        outputs_before,
        history,
        f"train(model, x_train, y_train, epochs={EPOCHS}, batch_size={BATCH_SIZE}) on {len(x_train)} windows",
    )


@dataclass
class StepChanges:
    """Largest verified weight changes of three fresh models, each trained once."""

    one_step: float  # train(model, x, y, 1, 96): one full-batch step
    mini_batches: float  # train(model, x, y, 1, 24): four steps
    epochs: float  # train(model, x, y, 4, 96): four steps
    size: int


def _trainable_weights(verified) -> list[np.ndarray]:
    return [np.asarray(weight, dtype=np.float64) for weight in verified.model.trainable_weights]


@pytest.fixture(scope="session")
def step_changes(submission, secret) -> StepChanges:
    """Train three fresh ``build_forecaster(16, 3)`` for 1, 4 and 4 optimizer steps, measuring each change verified.

    Each change is read from rebuilds proven to compute what the candidate's model computes, before and after
    ``train``. With Adam every weight moves by about the learning rate per step (exactly that much on the first
    step), so four steps move the weights about four times as far as one (RMSprop and Adagrad, whose steps shrink,
    about three times; SGD with momentum, whose steps grow, far more); a train that ignores batch_size or epochs
    makes one step where it should make four. Fresh models, not one model trained three times: an optimizer whose
    steps shrink would make a later run look shorter than it is.
    """
    prepared = prepare(
        seasonal_series(secret.rng("step series"), TRAIN_SIZE // 4).values,
        STEP_WINDOWS + STEPS + HORIZON - 1,
        STEPS,
        HORIZON,
    )
    x, y = prepared.x_train.astype(np.float32), prepared.y_train.astype(np.float32)
    probe = probe_windows(secret.rng("step probe"), PROBE_WINDOWS, STEPS)
    changes = []
    for epochs, batch_size in ((1, STEP_WINDOWS), (1, STEP_WINDOWS // STEP_BATCHES), (STEP_BATCHES, STEP_WINDOWS)):
        call = f"train(model, x, y, epochs={epochs}, batch_size={batch_size}) on {len(x)} windows"
        model = submission.build_forecaster(STEPS, HORIZON)
        before = _trainable_weights(
            verify_keras_model(submission, model, probe_inputs=probe, what=f"build_forecaster({STEPS}, {HORIZON})")
        )
        submission.train(model, x, y, epochs, batch_size)
        after = _trainable_weights(
            verify_keras_model(submission, model, probe_inputs=probe, what=f"the model after {call}")
        )
        changes.append(
            expect_changed(
                before,
                after,
                what=f"the trainable weights after {call}",
                hint="train must fit the model it is given (model.fit), not a copy",
            )
        )
    return StepChanges(*changes, size=STEP_WINDOWS)
