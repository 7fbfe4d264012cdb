"""Public checks of lstm_forecasting: windows, scaling without leakage, the verified model, training, forecasts."""

from __future__ import annotations

import numpy as np
import pytest
from forecast_tasks import STEPS, prepare, probe_windows, seasonal_series, windows

from harness.checks import (
    CheckFailed,
    expect_close,
    expect_finite,
    expect_loss_decreases,
    expect_numbers,
    expect_raises_in_submission,
    expect_scalar_close,
    expect_shape,
    expect_subset,
    expect_type,
    model_outputs,
    verify_compiled_loss,
    verify_keras_model,
)

WINDOW_SETTINGS = ((5, 1), (7, 3))  # (steps, horizon) of the make_windows check
PREPARE_SETTINGS = ((150, 110, 12, 2), (90, 60, 6, 4))  # (length, train_size, steps, horizon)
MODEL_SETTINGS = ((STEPS, 3, 8), (10, 5, 24))  # (steps, horizon, units): units never at its default, 32
RETURNED = "return (x_train, y_train, x_test, y_test, scaler)"
MSE_LOSSES = ("mse", "mean_squared_error", "MeanSquaredError")
# Float32 windows of float64 values: about 1e-7 relative; scaled values are O(1).
WINDOW_RTOL, WINDOW_ATOL = 1e-5, 1e-5
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the mean squared error on the training
# windows, computed by the grader before and after train, falls by 0.513 at least (median 0.646). An untrained
# LSTM starts near the variance of the scaled targets, 1; the noise floor is the noise's share of the series'
# variance, 0.25 to 0.5 depending on the seasonal amplitude, so no model can drop it by more than 0.5 to 0.75.
MIN_RELATIVE_LOSS_DROP = 0.25


def _expect_windows(found, wanted: tuple[np.ndarray, np.ndarray], *, what: str, hint: str) -> None:
    pair = expect_type(found, (tuple, list), what=what, hint="return (inputs, targets)")
    expect_scalar_close(len(pair), 2, what=f"the number of arrays {what} returns", hint="return (inputs, targets)")
    for name, array, reference in zip(("inputs", "targets"), pair, wanted):
        expect_close(array, reference, rtol=WINDOW_RTOL, atol=WINDOW_ATOL, what=f"the {name} of {what}", hint=hint)


@pytest.mark.points(3)
def test_make_windows(submission, rng):
    """make_windows returns every window of steps values with the horizon values right after it, and no more."""
    series = rng.normal(0.0, 3.0, size=int(rng.integers(25, 35))).cumsum()
    for steps, horizon in WINDOW_SETTINGS:
        call = f"make_windows(series, {steps}, {horizon}) for a series of {len(series)} values"
        _expect_windows(
            submission.make_windows(series, steps, horizon),
            windows(series, steps, horizon),
            what=call,
            hint="inputs[i, :, 0] is series[i:i + steps] and targets[i] is series[i + steps:i + steps + "
            "horizon]: a target starts right after its window, never inside it; there are "
            "len(series) - steps - horizon + 1 windows",
        )
    short = series[:8]
    expect_raises_in_submission(
        lambda: submission.make_windows(short, 6, 3),
        accepted=("ValueError",),
        what="make_windows(series, 6, 3) for a series of 8 values (no full window)",
        hint="the check that at least one window fits",
    )


def _prepared(submission, series: np.ndarray, train_size: int, steps: int, horizon: int) -> dict:
    call = f"prepare_data(series, {train_size}, {steps}, {horizon}) for a series of {len(series)} values"
    result = expect_type(
        submission.prepare_data(series, train_size, steps, horizon),
        (tuple, list),
        what=call,
        hint=RETURNED,
    )
    expect_scalar_close(
        len(result),
        5,
        what=f"the number of items {call} returns",
        hint=RETURNED,
    )
    scaler = np.asarray(
        expect_numbers(result[4], what=f"the scaler (mean, std) returned by {call}", length=2), dtype=np.float64
    )
    names = ("x_train", "y_train", "x_test", "y_test")
    return {
        "call": call,
        "scaler": expect_shape(scaler, (2,), what=f"the scaler (mean, std) returned by {call}"),
        **dict(zip(names, result[:4])),
    }


def _expect_prepared(found: dict, wanted, *, hint: str) -> None:
    expect_close(
        found["scaler"],
        [wanted.mean, wanted.std],
        rtol=1e-6,
        atol=1e-9,
        what=f"the scaler (mean, std) returned by {found['call']}",
        hint="np.mean and np.std (ddof=0) of series[:train_size] alone",
    )
    for name in ("x_train", "y_train", "x_test", "y_test"):
        expect_close(
            found[name],
            getattr(wanted, name),
            rtol=WINDOW_RTOL,
            atol=WINDOW_ATOL,
            what=f"{name} returned by {found['call']}",
            hint=hint,
        )


@pytest.mark.points(2)
def test_prepare_data_windows(submission, rng):
    """prepare_data scales with the training part's mean and std, and cuts the training and test windows exactly."""
    for length, train_size, steps, horizon in PREPARE_SETTINGS:
        series = seasonal_series(rng, length).values
        _expect_prepared(
            _prepared(submission, series, train_size, steps, horizon),
            prepare(series, train_size, steps, horizon),
            hint="training windows from scaled[:train_size], test windows from scaled[train_size - steps:]",
        )
    expect_raises_in_submission(
        lambda: submission.prepare_data(series, steps + horizon - 1, steps, horizon),
        accepted=("ValueError",),
        what=f"prepare_data(series, {steps + horizon - 1}, {steps}, {horizon}) (a training "
        "part too short for one window)",
        hint="the check of train_size",
    )


@pytest.mark.points(2)
def test_scaling_uses_training_part_only(submission, rng):
    """A new level in the test part of a series changes neither the training windows nor the scaler (no leakage)."""
    length, train_size, steps, horizon = PREPARE_SETTINGS[0]
    series = seasonal_series(rng, length).values
    shifted = series.copy()
    shifted[train_size:] = 3.0 * shifted[train_size:] + 10.0 * np.std(series)  # a new level and a new scale
    original, moved = (_prepared(submission, values, train_size, steps, horizon) for values in (series, shifted))
    for name in ("scaler", "x_train", "y_train"):
        reference = expect_finite(original[name], what=f"{name} returned by {original['call']}")
        expect_close(
            moved[name],
            reference,
            rtol=1e-6,
            atol=1e-6,
            what=f"{name} returned by prepare_data for the same series with a different level after "
            f"index {train_size} (the test part only)",
            hint="fit the mean and std on series[:train_size] only, and keep every training target "
            "inside the training part: nothing about the test part may reach the training data",
        )
    training = series[:train_size]
    expect_close(
        moved["scaler"],
        [np.mean(training), np.std(training)],
        rtol=1e-6,
        atol=1e-9,
        what=f"the scaler (mean, std) returned by {moved['call']}",
        hint="np.mean and np.std (ddof=0) of series[:train_size] alone",
    )


@pytest.fixture(scope="module")
def built_models(submission, secret) -> list[tuple[tuple[int, int, int], object, object]]:
    """Fresh ``build_forecaster(steps, horizon, units)`` models for MODEL_SETTINGS, each with its verified rebuild."""
    built = []
    for settings in MODEL_SETTINGS:
        call = f"build_forecaster{settings}"
        handle = submission.build_forecaster(*settings)
        probe = probe_windows(secret.rng("probe", call), 8, settings[0])
        built.append((settings, handle, verify_keras_model(submission, handle, probe_inputs=probe, what=call)))
    return built


@pytest.mark.points(2)
def test_output_shape(built_models, rng):
    """The forecaster maps (batch, steps, 1) windows to (batch, horizon) forecasts."""
    for (steps, horizon, units), handle, _ in built_models:
        outputs = handle.predict_on_batch(probe_windows(rng, 4, steps))
        expect_shape(
            outputs,
            (4, horizon),
            what=f"model.predict_on_batch(x) of build_forecaster({steps}, {horizon}, "
            f"{units}) for 4 windows of shape ({steps}, 1)",
            hint="keras.Input(shape=(steps, 1)) and Dense(horizon) as the last layer",
        )


@pytest.mark.points(2)
def test_lstm_and_linear_output(built_models):
    """The verified forecaster reads the window with an LSTM of `units` units and ends in a linear layer."""
    for (steps, horizon, units), _, verified in built_models:
        call = f"build_forecaster({steps}, {horizon}, {units})"
        sizes = [layer.config.get("units") for layer in verified.layers() if layer.class_name == "LSTM"]
        if units not in sizes:
            raise CheckFailed(
                f"{call} should have a keras.layers.LSTM({units}) layer; its LSTM layers have "
                f"{sizes or 'no'} units, its layers are: {', '.join(verified.layer_classes())}. "
                "Look at the units argument."
            )
        expect_subset(
            [verified.output_activation()],
            (None, "linear"),
            what=f"the activation of the output layer of {call}",
            noun="activation",
            hint="the last Dense layer: a forecast of scaled values can be any real number, so it must be linear "
            "(no activation)",
        )


@pytest.mark.points(1)
def test_compiled_mse(built_models, rng):
    """The forecaster is compiled with the mean squared error, verified on secret windows."""
    (steps, horizon, units), handle, verified = built_models[0]
    call = f"build_forecaster({steps}, {horizon}, {units})"
    loss = (verified.compile_config or {}).get("loss")
    name = loss.get("class_name") if isinstance(loss, dict) else loss
    expect_subset(
        [name],
        MSE_LOSSES,
        what=f"the loss {call} is compiled with",
        noun="loss",
        hint='the loss given to model.compile: the mean squared error, loss="mse"',
    )
    x = probe_windows(rng, 16, steps)
    verify_compiled_loss(verified, handle, x, rng.normal(size=(16, horizon)).astype(np.float32), what=call)


@pytest.mark.points(1)
def test_history_per_epoch(trained):
    """train returns the history dict, with one finite loss per epoch."""
    history = expect_type(
        trained.history,
        dict,
        what=f"the return value of {trained.call}",
        hint="return the dict in the .history attribute of what model.fit returns",
    )
    expect_numbers(
        history.get("loss"),
        what=f'history["loss"] returned by {trained.call}',
        length=10,
        hint="the epochs argument of model.fit, and return fitted.history",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_loss_decreases(trained, task, measure):
    """The model's mean squared error on its training windows, measured by the grader, falls during train."""
    prepared = task.prepared
    count, horizon = prepared.y_train.shape
    before = expect_shape(trained.outputs_before, (count, horizon), what="model.predict_on_batch(x_train) before train")
    after = model_outputs(
        trained.model,
        prepared.x_train.astype(np.float32),
        shape=(count, horizon),
        what="model.predict_on_batch(x_train) after train",
    )
    errors = [
        float(np.mean((np.asarray(outputs, dtype=np.float64) - prepared.y_train) ** 2))
        for outputs in (expect_finite(before, what="model.predict_on_batch(x_train) before train"), after)
    ]
    measure("relative loss drop", 1 - errors[1] / errors[0] if errors[0] > 0 else 0.0)
    expect_loss_decreases(
        errors,
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        what=f"the mean squared error of the model on its {count} scaled training windows, before "
        f"and after {trained.call}",
        hint="the learning rate, the loss, and the epochs and batch_size given to model.fit",
    )


@pytest.mark.points(2)
def test_forecast_inverse_scaling(submission, built_models, rng):
    """forecast scales the last steps values, runs the model and maps its output back to the series' units."""
    for (steps, horizon, units), handle, _ in built_models:
        recent = seasonal_series(rng, steps + int(rng.integers(3, 9))).values
        mean, std = float(rng.uniform(20, 80)), float(rng.uniform(2, 10))
        window = ((recent[-steps:] - mean) / std).astype(np.float32).reshape(1, steps, 1)
        scaled = model_outputs(
            handle,
            window,
            shape=(1, horizon),
            what=f"model.predict_on_batch(window) of build_forecaster({steps}, {horizon}, {units})",
        )
        call = (
            f"forecast(model, recent, ({mean:.4g}, {std:.4g})) for build_forecaster({steps}, {horizon}, {units}) "
            f"and {len(recent)} recent values"
        )
        expect_close(
            submission.forecast(handle, recent, (mean, std)),
            scaled[0] * std + mean,
            rtol=1e-5,
            atol=1e-4 * std,
            what=call,
            hint="scale recent[-steps:] with (value - mean) / std, then map the model's output back with "
            "output * std + mean",
        )
