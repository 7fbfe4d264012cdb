"""The grader's own thresholding and F1 (float64 NumPy), against which the candidate's are judged.

This file would hand candidates a working ``predict_labels``, ``f1_scores``
and threshold search, so the candidate kit gets ``kit/multilabel_reference.py``
instead: the same functions computed with Keras's own ``F1Score`` metric.
"""

from __future__ import annotations

import numpy as np


def threshold_labels(probabilities: np.ndarray, thresholds) -> np.ndarray:
    """1 where a probability is at least its column's threshold, else 0 (int64)."""
    return np.greater_equal(
        np.asarray(probabilities, dtype=np.float64), np.asarray(thresholds, dtype=np.float64)
    ).astype(np.int64)


def _counts(labels: np.ndarray, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    truth, guess = np.asarray(labels) == 1, np.asarray(predictions) == 1
    return (np.sum(truth & guess, axis=0), np.sum(~truth & guess, axis=0), np.sum(truth & ~guess, axis=0))


def _f1(true_positives, false_positives, false_negatives) -> np.ndarray:
    denominator = 2.0 * true_positives + false_positives + false_negatives
    return np.divide(
        2.0 * true_positives, denominator, out=np.zeros_like(denominator, dtype=np.float64), where=denominator > 0
    )


def label_f1(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Each column's F1, 2 TP / (2 TP + FP + FN), 0 where that denominator is 0."""
    return _f1(*_counts(labels, predictions))


def micro_f1(labels: np.ndarray, predictions: np.ndarray) -> float:
    """The F1 of the counts summed over every column."""
    return float(_f1(*(np.sum(count) for count in _counts(labels, predictions))))


def macro_f1(labels: np.ndarray, predictions: np.ndarray) -> float:
    """The mean over the columns of each column's F1."""
    return float(np.mean(label_f1(labels, predictions)))


def best_label_f1(probabilities: np.ndarray, labels: np.ndarray, candidates) -> np.ndarray:
    """For each column, the highest F1 any of the candidate thresholds reaches."""
    scores = [label_f1(labels, threshold_labels(probabilities, candidate)) for candidate in candidates]
    return np.max(np.array(scores), axis=0)
