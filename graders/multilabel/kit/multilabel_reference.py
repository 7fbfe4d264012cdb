"""The grader's thresholding and F1, as shipped in the candidate kit: computed with Keras's own F1Score metric.

The instructors' grader uses an independent float64 NumPy implementation, which
would hand candidates a working answer.  Same functions, same signatures, the
same values up to Keras's epsilon of 1e-7 in its divisions.
"""

from __future__ import annotations

import numpy as np


def _f1_metric(labels: np.ndarray, predictions: np.ndarray, average: str | None) -> np.ndarray:
    import keras

    metric = keras.metrics.F1Score(average=average, threshold=0.5)
    metric.update_state(np.asarray(labels, dtype=np.float32), np.asarray(predictions, dtype=np.float32))
    return np.asarray(metric.result(), dtype=np.float64)


def threshold_labels(probabilities: np.ndarray, thresholds) -> np.ndarray:
    """1 where a probability is at least its column's threshold, else 0 (int64)."""
    import keras

    found = keras.ops.greater_equal(np.asarray(probabilities, dtype=np.float64), np.asarray(thresholds, np.float64))
    return np.asarray(keras.ops.convert_to_numpy(found)).astype(np.int64)


def label_f1(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Each column's F1, 0 for a column without positive labels or predictions."""
    return _f1_metric(labels, predictions, None)


def micro_f1(labels: np.ndarray, predictions: np.ndarray) -> float:
    """The F1 of the counts summed over every column."""
    return float(_f1_metric(labels, predictions, "micro"))


def macro_f1(labels: np.ndarray, predictions: np.ndarray) -> float:
    """The mean over the columns of each column's F1."""
    return float(_f1_metric(labels, predictions, "macro"))


def best_label_f1(probabilities: np.ndarray, labels: np.ndarray, candidates) -> np.ndarray:
    """For each column, the highest F1 any of the candidate thresholds reaches."""
    scores = [label_f1(labels, threshold_labels(probabilities, candidate)) for candidate in candidates]
    return np.max(np.array(scores), axis=0)
