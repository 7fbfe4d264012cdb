"""A practice stand-in for the grader's log-mel reference, as shipped in the candidate kit.

The instructors' grader computes the exact features of the contract with an
independent NumPy implementation, which would hand candidates a working answer.
This stand-in gives the public checks features of the same shape and kind (the
log energy of equal-width frequency bands), good enough to train and judge a
model; the check that compares ``log_mel_features`` with the exact reference is
hidden. Same functions, same signatures.
"""

from __future__ import annotations

import numpy as np


def frame_count(samples: int, frame_length: int, frame_step: int) -> int:
    """Return how many whole frames fit in ``samples`` samples."""
    return 1 + (samples - frame_length) // frame_step


def log_mel(
    waveform: np.ndarray, sample_rate: int, frame_length: int, frame_step: int, num_mel_bins: int
) -> np.ndarray:
    """Return (frames, num_mel_bins) log band energies of ``waveform``: a practice stand-in, not the contract."""
    waveform = np.asarray(waveform, dtype=np.float64)
    starts = np.arange(frame_count(len(waveform), frame_length, frame_step))[:, np.newaxis] * frame_step
    spectrum = np.abs(np.fft.rfft(waveform[starts + np.arange(frame_length)], axis=1))
    bands = np.array_split(np.arange(1, spectrum.shape[1]), num_mel_bins)
    energies = np.stack([spectrum[:, band].sum(axis=1) for band in bands], axis=1)
    return np.log(energies / 8.0 + 1e-6)  # 1/8 brings the level near the exact features' (log-mel ~2 on speech)
