"""The synthetic series of lstm_forecasting and the grader's own windows, scaling and baseline forecasts.

A series is ``scale * (level + slope * t + amplitude * sin(2 pi t / period + phase) + noise)``
with a period of 6, 7 or 8 steps, a slight trend, and Gaussian noise of standard
deviation 1 (before ``scale``); every parameter is drawn from the run's secret.
With that much noise, the seasonal-naive forecast (the value one period earlier)
has about twice the noise variance as its error, while a model that learns the
seasonal shape from two periods of history gets close to the noise variance
alone; the last-value forecast misses the seasonal swing and does far worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SERIES_LENGTH = 1000
TRAIN_SIZE = 800  # the test part: the last 200 values, 198 windows of 3
STEPS = 16  # two periods of history at most
HORIZON = 3
PERIODS = (6, 7, 8)
LEVELS = (20.0, 80.0)
AMPLITUDES = (1.5, 2.5)
SLOPE = 0.001  # per step, either sign: a drift of 1 unit over the series
NOISE_STD = 1.0
SCALES = (0.5, 5.0)  # the series' units: scaling must not matter to a correct pipeline


@dataclass(frozen=True)
class Series:
    """A seasonal series and its period."""

    values: np.ndarray
    period: int


def seasonal_series(rng: np.random.Generator, length: int = SERIES_LENGTH) -> Series:
    """A seasonal series with trend and noise, every parameter drawn from ``rng``."""
    period = int(rng.choice(PERIODS))
    time = np.arange(length, dtype=np.float64)
    shape = (
        rng.uniform(*LEVELS)
        + rng.choice((-1.0, 1.0)) * SLOPE * time
        + rng.uniform(*AMPLITUDES) * np.sin(2 * np.pi * time / period + rng.uniform(0, 2 * np.pi))
        + rng.normal(0.0, NOISE_STD, size=length)
    )
    return Series(rng.uniform(*SCALES) * shape, period)


def windows(series: np.ndarray, steps: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The grader's own windows, float64: inputs ``(count, steps, 1)`` and targets ``(count, horizon)``."""
    count = len(series) - steps - horizon + 1
    inputs = np.stack([series[start : start + steps] for start in range(count)])
    targets = np.stack([series[start + steps : start + steps + horizon] for start in range(count)])
    return inputs[..., np.newaxis], targets


def probe_windows(rng: np.random.Generator, count: int, steps: int) -> np.ndarray:
    """Scaled-looking random windows ``(count, steps, 1)`` (float32) to verify a model on."""
    return rng.normal(0.0, 1.0, size=(count, steps, 1)).astype(np.float32)


@dataclass(frozen=True)
class Prepared:
    """The grader's own ``prepare_data`` result: windows scaled with the training part's mean and std."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


def prepare(series: np.ndarray, train_size: int, steps: int, horizon: int) -> Prepared:
    """Scale with the training part's statistics, window the training part, and window the test targets."""
    training = series[:train_size]
    mean, std = float(np.mean(training)), float(np.std(training))
    scaled = (series - mean) / std
    x_train, y_train = windows(scaled[:train_size], steps, horizon)
    x_test, y_test = windows(scaled[train_size - steps :], steps, horizon)
    return Prepared(x_train, y_train, x_test, y_test, mean, std)


def last_value_forecast(x_test: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last value of each input window ``horizon`` times (scaled units)."""
    return np.repeat(x_test[:, -1, :], horizon, axis=1)


def seasonal_naive_forecast(x_test: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Forecast each value by the value one period earlier (scaled units; needs period >= horizon)."""
    steps = x_test.shape[1]
    return np.stack([x_test[:, steps - period + ahead, 0] for ahead in range(horizon)], axis=1)
