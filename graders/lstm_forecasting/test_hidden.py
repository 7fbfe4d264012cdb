"""Hidden checks of lstm_forecasting: test error against naive forecasts, and epochs and batch size honoured."""

from __future__ import annotations

import numpy as np
import pytest
from forecast_tasks import HORIZON, last_value_forecast, seasonal_naive_forecast

from harness.checks import expect_at_least, expect_ratio_at_most, model_outputs

# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): on the 198 test windows of the run's series
# (original units), the trained LSTM's mean squared error divided by the seasonal-naive forecast's is at most
# 0.768, median 0.629 (the noise alone makes the seasonal-naive error about twice the best possible). A model that
# has not learnt the seasonal shape does worse than the seasonal-naive forecast: ratio 1 or more.
MAX_RATIO_TO_SEASONAL_NAIVE = 0.9
# The last-value forecast misses the seasonal swing: its error is 2 to 6 times the seasonal-naive one, so the
# LSTM's ratio to it is far lower (0.093-0.272 over 20 seeds); 0.5 asks for a clear win.
MAX_RATIO_TO_LAST_VALUE = 0.5
# The step checks train three fresh models (same initial weights) and compare the largest change of any verified
# weight. Calibration (CALIBRATION.md, 20 seeds, reference and variants): four optimizer steps move the weights
# 3.1 to 4.0 times as far as one (Adam moves every weight by about the learning rate per step; RMSprop's
# shrinking steps about 2.9 times). A train that ignores batch_size (Keras' default 32: 3 steps in both runs) or
# epochs makes the same steps in both runs: a ratio of about 1.
MIN_STEP_RATIO = 2.0


@pytest.mark.statistical
@pytest.mark.points(4)
def test_beats_naive_forecasts(trained, task, measure):
    """On the test part of the series, the trained LSTM beats the last-value and seasonal-naive forecasts."""
    prepared, period = task.prepared, task.series.period
    count = len(prepared.y_test)
    outputs = model_outputs(
        trained.model,
        prepared.x_test.astype(np.float32),
        shape=(count, HORIZON),
        what=f"model.predict_on_batch(x_test) for the {count} test windows after {trained.call}",
        hint="the last Dense layer (horizon units, linear)",
    )

    def error(forecasts: np.ndarray) -> float:
        """Mean squared error in the series' units (the grader undoes its own scaling)."""
        return float(np.mean(((forecasts - prepared.y_test) * prepared.std) ** 2))

    model_error = error(outputs)
    seasonal, last = (
        error(seasonal_naive_forecast(prepared.x_test, HORIZON, period)),
        error(last_value_forecast(prepared.x_test, HORIZON)),
    )
    measure("ratio to seasonal naive", model_error / seasonal)
    measure("ratio to last value", model_error / last)
    for baseline, value, limit in (
        ("the seasonal-naive forecast (the value one period earlier)", seasonal, MAX_RATIO_TO_SEASONAL_NAIVE),
        ("the last-value forecast", last, MAX_RATIO_TO_LAST_VALUE),
    ):
        expect_ratio_at_most(
            model_error,
            value,
            limit,
            metric=f"the test mean squared error of the model after {trained.call}",
            baseline_name=f"the mean squared error of {baseline}",
            hint="the learning rate and the model: an LSTM that learns in 10 epochs (Adam, learning "
            "rate 0.003 to 0.01) and a linear output",
        )


def _expect_more_steps(step_changes, change: float, measure, *, call: str, argument: str) -> None:
    ratio = measure("weight change ratio", change / step_changes.one_step)
    expect_at_least(
        ratio,
        MIN_STEP_RATIO,
        metric=(
            f"the largest weight change of {call} on {step_changes.size} windows (4 optimizer steps), divided "
            f"by that of train(model, x, y, epochs=1, batch_size={step_changes.size}) (1 step) from the same "
            f"kind of fresh model"
        ),
        baseline=f"about 4 with Adam, 3 with RMSprop; about 1 when train ignores {argument}",
        hint=f"the {argument} argument of model.fit",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_train_honours_batch_size(step_changes, measure):
    """train makes one optimizer step per mini-batch of batch_size windows (measured on verified weights)."""
    _expect_more_steps(
        step_changes,
        step_changes.mini_batches,
        measure,
        argument="batch_size",
        call=f"train(model, x, y, epochs=1, batch_size={step_changes.size // 4})",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_train_honours_epochs(step_changes, measure):
    """train runs exactly epochs passes over the windows (measured on verified weights)."""
    _expect_more_steps(
        step_changes,
        step_changes.epochs,
        measure,
        argument="epochs",
        call=f"train(model, x, y, epochs=4, batch_size={step_changes.size})",
    )
