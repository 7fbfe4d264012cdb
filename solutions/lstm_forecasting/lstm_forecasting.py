"""Forecasting a seasonal time series with an LSTM, in Keras 3 (seed question 3).

``make_windows`` cuts a series into input windows and the values that follow
them; ``prepare_data`` scales a series with statistics of its training part
only and cuts training and test windows without letting a target leak into the
training data; ``build_forecaster`` and ``train`` make and fit the LSTM
regressor; ``forecast`` turns its scaled output back into the series' units.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def make_windows(series, steps: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(inputs, targets)``: every window of ``steps`` values and the ``horizon`` values that follow it.

    ``series`` is a 1-d array of ``n`` numbers.  With ``count = n - steps -
    horizon + 1`` windows, ``inputs`` has shape ``(count, steps, 1)`` and
    ``inputs[i, :, 0] == series[i : i + steps]``; ``targets`` has shape
    ``(count, horizon)`` and ``targets[i] == series[i + steps : i + steps +
    horizon]``, so a target never lies inside its own input window.  Both are
    float32.  Raises ``ValueError`` if ``steps < 1``, ``horizon < 1`` or
    ``count < 1``.
    """
    # BEGIN SOLUTION: index the series with a grid of window starts plus offsets; targets start right after the inputs
    if steps < 1 or horizon < 1:
        raise ValueError(f"steps and horizon must be at least 1, got {steps} and {horizon}")
    values = np.asarray(series, dtype=np.float32).reshape(-1)
    count = len(values) - steps - horizon + 1
    if count < 1:
        raise ValueError(f"a series of {len(values)} values has no window of {steps} + {horizon} values")
    starts = np.arange(count)[:, np.newaxis]
    inputs = values[starts + np.arange(steps)]
    targets = values[starts + steps + np.arange(horizon)]
    return inputs[..., np.newaxis], targets
    # END SOLUTION


def prepare_data(series, train_size: int, steps: int, horizon: int):
    """Scale ``series`` with statistics of its training part only, then cut training and test windows.

    The training part is ``series[:train_size]``, the test part the values
    after it.  Return ``(x_train, y_train, x_test, y_test, scaler)`` where
    ``scaler = (mean, std)`` are two floats, ``np.mean`` and ``np.std``
    (``ddof=0``) of the training part alone, and every value is scaled to
    ``(value - mean) / std``.  The training windows are
    ``make_windows(scaled[:train_size], steps, horizon)``: their inputs and
    targets all lie in the training part.  The test windows are
    ``make_windows(scaled[train_size - steps:], steps, horizon)``: their targets
    are all the test values (in windows of ``horizon``), and their inputs the
    ``steps`` values just before each target, some from the training part.
    Raises ``ValueError`` unless ``steps + horizon <= train_size <= len(series)
    - horizon``.
    """
    # BEGIN SOLUTION: fit mean and std on series[:train_size] only, scale everything, window each part
    values = np.asarray(series, dtype=np.float64).reshape(-1)
    if not steps + horizon <= train_size <= len(values) - horizon:
        raise ValueError(f"train_size {train_size} leaves no training or no test window for a series of "
                         f"{len(values)} values, steps={steps} and horizon={horizon}")
    training = values[:train_size]
    mean, std = float(training.mean()), float(training.std())
    scaled = (values - mean) / std
    x_train, y_train = make_windows(scaled[:train_size], steps, horizon)
    x_test, y_test = make_windows(scaled[train_size - steps:], steps, horizon)
    return x_train, y_train, x_test, y_test, (mean, std)
    # END SOLUTION


def build_forecaster(steps: int, horizon: int, units: int = 32) -> keras.Model:
    """Return a compiled LSTM regressor from ``(batch, steps, 1)`` windows to ``(batch, horizon)`` forecasts.

    The model reads the window with a ``keras.layers.LSTM(units)`` and ends in
    a ``Dense(horizon)`` layer with a linear activation (scaled values can be
    any real number).  Compiled with an optimizer and the mean squared error
    (``loss="mse"`` or ``keras.losses.MeanSquaredError()``), ready for
    ``train``.
    """
    # BEGIN SOLUTION: keras.Input((steps, 1)), an LSTM, a linear Dense(horizon) output; compile with Adam and MSE
    inputs = keras.Input(shape=(steps, 1), name="window")
    state = layers.LSTM(units)(inputs)
    outputs = layers.Dense(horizon)(state)
    model = keras.Model(inputs, outputs, name="lstm_forecaster")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model
    # END SOLUTION


def train(model: keras.Model, inputs, targets, epochs: int, batch_size: int) -> dict:
    """Fit ``model`` in place on scaled windows for ``epochs`` epochs of mini-batches; return the per-epoch history.

    ``inputs`` has shape ``(n, steps, 1)`` and ``targets`` ``(n, horizon)``,
    both float32 and scaled.  Train for exactly ``epochs`` epochs with
    mini-batches of ``batch_size`` windows (one optimizer step per batch), and
    return the dict Keras records (the ``history`` attribute of what ``fit``
    returns): at least ``"loss"``, one number per epoch.
    """
    # BEGIN SOLUTION: call model.fit with the given epochs and batch size, then return the History's dict
    fitted = model.fit(inputs, targets, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return fitted.history
    # END SOLUTION


def forecast(model: keras.Model, recent, scaler: tuple[float, float]) -> np.ndarray:
    """Forecast the ``horizon`` values after ``recent``, in the units of the series.

    ``recent`` is a 1-d array of the latest observed values (original units),
    at least ``steps`` of them, where ``steps = model.input_shape[1]``; only the
    last ``steps`` are used.  Scale them with ``scaler = (mean, std)`` from
    ``prepare_data``, run the model, and undo the scaling of its output
    (``value * std + mean``).  Return a float array of shape ``(horizon,)``.
    Raises ``ValueError`` if ``recent`` has fewer than ``steps`` values.
    """
    # BEGIN SOLUTION: scale the last `steps` values, predict one window, map the output back with std and mean
    mean, std = scaler
    steps = model.input_shape[1]
    values = np.asarray(recent, dtype=np.float64).reshape(-1)
    if len(values) < steps:
        raise ValueError(f"the model reads {steps} values, but recent has only {len(values)}")
    window = ((values[-steps:] - mean) / std).astype(np.float32).reshape(1, steps, 1)
    scaled_forecast = np.asarray(model.predict_on_batch(window), dtype=np.float64)[0]
    return scaled_forecast * std + mean
    # END SOLUTION
