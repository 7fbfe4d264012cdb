"""Synthetic "spoken digits" for the speech_recognition checks: waveforms, their log-mel frames, padded batches.

A digit is two vowels in a fixed order, each vowel two formants (sinusoids at
its F1 and F2) that glide into the next vowel's halfway through the voiced
part. Digits 0 and 1 use the same vowels in opposite orders (likewise 2 and 3,
and so on), so that only the order of the frames tells them apart: averaging the
frames over time cannot classify more than half of them. Each utterance draws,
from the generator it is given, its formants (jittered by 4%), the loudness and
balance of its two formants, the length of its voiced part, the silence before
and after it (a time shift), the moment of the glide, and Gaussian noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mel_reference import frame_count, log_mel

SAMPLE_RATE = 8000
FRAME_LENGTH = 256  # 32 ms frames
FRAME_STEP = 128  # every 16 ms
NUM_MEL_BINS = 20
NUM_CLASSES = 10
VOWELS = ((300.0, 2300.0), (700.0, 1200.0), (350.0, 800.0), (500.0, 1800.0))  # (F1, F2) in Hz
DIGITS = ((0, 1), (1, 0), (0, 2), (2, 0), (0, 3), (3, 0), (1, 2), (2, 1), (1, 3), (3, 1))  # vowel order per digit
FORMANT_JITTER = 0.04  # relative standard deviation of a formant frequency
NOISE_STD = 0.1
RAMP_SECONDS = 0.02  # raised-cosine attack and release of the voiced part
STEP_UTTERANCES = 48  # the small set the step checks train fresh models on
STEP_BATCHES = 4  # batch_size 12: 4 optimizer steps in one epoch; train's default 32 would make 2
LEARNING_RATE = 1e-2  # the learning rate of the step checks' first model; the other uses a tenth of it


@dataclass(frozen=True)
class Timing:
    """The ranges, in seconds, of the voiced length and of the silences before and after it."""

    voiced: tuple[float, float] = (0.2, 0.4)
    before: tuple[float, float] = (0.0, 0.08)
    after: tuple[float, float] = (0.0, 0.04)


TRAINING_TIMING = Timing()
SHIFTED_TIMING = Timing(voiced=(0.15, 0.6), before=(0.08, 0.25), after=(0.0, 0.1))  # longer shifts, other lengths


def _voiced(digit: int, samples: int, rng: np.random.Generator) -> np.ndarray:
    """Return the voiced part of one utterance of ``digit``: two gliding formants under an envelope."""
    first, second = (
        np.asarray(VOWELS[vowel]) * (1 + FORMANT_JITTER * rng.standard_normal(2)) for vowel in DIGITS[digit]
    )
    position = np.linspace(0.0, 1.0, samples)
    glide = 1.0 / (1.0 + np.exp(-(position - rng.uniform(0.4, 0.6)) / 0.04))  # 0 -> 1 around the middle
    frequencies = first[:, np.newaxis] * (1 - glide) + second[:, np.newaxis] * glide
    phases = 2 * np.pi * np.cumsum(frequencies, axis=1) / SAMPLE_RATE + rng.uniform(0, 2 * np.pi, size=(2, 1))
    balance = rng.uniform(0.5, 1.0)
    signal = np.sin(phases[0]) * balance + np.sin(phases[1]) * (1.5 - balance)
    ramp = min(int(RAMP_SECONDS * SAMPLE_RATE), samples // 2)  # grader values only
    envelope = np.ones(samples)
    envelope[:ramp] = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    envelope[samples - ramp :] = envelope[:ramp][::-1]
    return signal * envelope * rng.uniform(0.5, 1.5)


def waveform(digit: int, rng: np.random.Generator, timing: Timing = TRAINING_TIMING) -> np.ndarray:
    """Return one noisy float64 waveform of ``digit`` at 8 kHz, with silence before and after it."""
    lengths = [int(rng.uniform(*span) * SAMPLE_RATE) for span in (timing.before, timing.voiced, timing.after)]
    signal = np.zeros(sum(lengths))
    signal[lengths[0] : lengths[0] + lengths[1]] = _voiced(digit, lengths[1], rng)
    return signal + NOISE_STD * rng.standard_normal(len(signal))


def waveforms(rng: np.random.Generator, count: int, timing: Timing = TRAINING_TIMING):
    """Return ``count`` waveforms of random digits and their labels (count,) int64."""
    labels = rng.integers(0, NUM_CLASSES, size=count)
    return [waveform(int(label), rng, timing) for label in labels], labels.astype(np.int64)


# Standardisation of the log-mel values: the mean and standard deviation of the reference features over many
# training-style utterances (fixed numbers, so that every batch is scaled alike). Standardised real frames are
# never all zero, which keeps the all-zero padding frames unambiguous.
FEATURE_MEAN = 2.0
FEATURE_STD = 1.0


def features(signal: np.ndarray) -> np.ndarray:
    """Return the standardised float64 log-mel frames (frames, 20) of one waveform."""
    return (log_mel(signal, SAMPLE_RATE, FRAME_LENGTH, FRAME_STEP, NUM_MEL_BINS) - FEATURE_MEAN) / FEATURE_STD


def pad(sequences: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """Stack (frames, bins) sequences into a float32 batch, with all-zero frames after each one's end."""
    length = length or max(len(sequence) for sequence in sequences)  # grader values only
    batch = np.zeros((len(sequences), length, sequences[0].shape[1]), dtype=np.float32)
    for row, sequence in zip(batch, sequences):
        row[: len(sequence)] = sequence
    return batch


def utterances(rng: np.random.Generator, count: int, timing: Timing = TRAINING_TIMING):
    """Return a padded float32 batch of ``count`` utterances (count, time, 20), their labels and frame counts."""
    signals, labels = waveforms(rng, count, timing)
    sequences = [features(signal) for signal in signals]
    lengths = np.array([frame_count(len(signal), FRAME_LENGTH, FRAME_STEP) for signal in signals])
    return pad(sequences), labels, lengths
