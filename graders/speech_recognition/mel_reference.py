"""The grader's log-mel reference: an independent float64 NumPy version of the feature contract.

It frames the waveform, applies a periodic Hann window, takes ``|rfft|`` over
the smallest power of 2 at least the frame length, maps the magnitudes to mel
bands with the triangular filters of ``tf.signal.linear_to_mel_weight_matrix``
(HTK mel scale, 20 Hz to the Nyquist frequency) and returns ``log(mel + 1e-6)``.
It is a complete answer to ``log_mel_features``, so the candidate kit gets
``kit/mel_reference.py`` instead.
"""

from __future__ import annotations

import numpy as np

LOG_OFFSET = 1e-6
LOWEST_FREQUENCY_HERTZ = 20.0


def _mel(hertz: np.ndarray) -> np.ndarray:
    """Convert frequencies in hertz to the HTK mel scale TensorFlow uses."""
    return 1127.0 * np.log1p(hertz / 700.0)


def mel_matrix(num_mel_bins: int, num_spectrogram_bins: int, sample_rate: float) -> np.ndarray:
    """Return the (num_spectrogram_bins, num_mel_bins) triangular filter matrix; the 0 Hz row is zero."""
    frequencies = np.linspace(0.0, sample_rate / 2.0, num_spectrogram_bins)[1:]
    edges = np.linspace(_mel(np.float64(LOWEST_FREQUENCY_HERTZ)), _mel(np.float64(sample_rate / 2.0)), num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    bins = _mel(frequencies)[:, np.newaxis]
    rising = (bins - lower) / (center - lower)
    falling = (upper - bins) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.vstack([np.zeros((1, num_mel_bins)), weights])


def frame_count(samples: int, frame_length: int, frame_step: int) -> int:
    """Return how many whole frames fit in ``samples`` samples."""
    return 1 + (samples - frame_length) // frame_step


def log_mel(
    waveform: np.ndarray, sample_rate: int, frame_length: int, frame_step: int, num_mel_bins: int
) -> np.ndarray:
    """Return the float64 log-mel frames of ``waveform``, shape (frames, num_mel_bins)."""
    waveform = np.asarray(waveform, dtype=np.float64)
    frames = frame_count(len(waveform), frame_length, frame_step)
    starts = np.arange(frames)[:, np.newaxis] * frame_step
    framed = waveform[starts + np.arange(frame_length)]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(frame_length) / frame_length)  # periodic Hann
    fft_length = 1 << int(np.ceil(np.log2(frame_length)))
    magnitudes = np.abs(np.fft.rfft(framed * window, n=fft_length))
    energies = magnitudes @ mel_matrix(num_mel_bins, fft_length // 2 + 1, sample_rate)
    return np.log(energies + LOG_OFFSET)
