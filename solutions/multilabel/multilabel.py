"""Multi-label classification in Keras 3 (seed question 10), with per-label decision thresholds.

Each example may carry any number of labels, so the model gives every label
its own probability with a sigmoid (never a softmax, which would make the
labels compete) and trains with binary cross-entropy.  ``predict_labels``
turns probabilities into 0/1 labels with one threshold per label;
``tune_thresholds`` picks each label's threshold on validation data to
maximise that label's F1; ``f1_scores`` measures micro- and macro-F1.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def build_model(num_features: int, num_labels: int) -> keras.Model:
    """Return a compiled multi-label classifier of ``num_features`` features and ``num_labels`` labels.

    The model maps ``(batch, num_features)`` float32 features to ``(batch,
    num_labels)`` probabilities, one independent probability per label in
    [0, 1] (a Dense sigmoid output layer; rows need not sum to 1 and no layer
    uses softmax).  It is compiled with an optimizer and binary
    cross-entropy on those probabilities
    (``keras.losses.BinaryCrossentropy()``, ``from_logits=False``), ready for
    ``model.fit(x, y, epochs=10, batch_size=32)`` with ``y`` of shape
    ``(n, num_labels)`` holding 0 and 1 (float32).  Use Keras's built-in
    layers with the Sequential or functional API (the grader rebuilds the
    model from its config to check it).
    """
    # BEGIN SOLUTION: hidden Dense layers, a Dense sigmoid output layer, compile with binary cross-entropy
    inputs = keras.Input(shape=(num_features,))
    hidden = layers.Dense(64, activation="relu")(inputs)
    hidden = layers.Dense(64, activation="relu")(hidden)
    outputs = layers.Dense(num_labels, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs, name="multilabel_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    return model
    # END SOLUTION


def predict_labels(probabilities, threshold=0.5) -> np.ndarray:
    """Return 0/1 labels: 1 where a probability is at least its label's threshold.

    ``probabilities`` has shape ``(n, num_labels)``.  ``threshold`` is one
    number for every label, or a sequence of ``num_labels`` numbers, one per
    label (column); each must lie in [0, 1], else raise ``ValueError`` (also
    for a sequence of the wrong length).  Return an int64 array of shape
    ``(n, num_labels)``: 1 where ``probabilities >= threshold`` (a probability
    equal to the threshold counts as 1), else 0.
    """
    # BEGIN SOLUTION: broadcast one threshold per column, validate it, compare with >=
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2:
        raise ValueError(f"probabilities must have shape (n, num_labels), got {probabilities.shape}")
    thresholds = np.asarray(threshold, dtype=np.float64)
    if thresholds.ndim > 1 or (thresholds.ndim == 1 and thresholds.shape != probabilities.shape[1:]):
        raise ValueError(f"threshold must be a number or {probabilities.shape[1]} numbers, got {threshold!r}")
    if not np.all((thresholds >= 0.0) & (thresholds <= 1.0)):
        raise ValueError(f"every threshold must lie in [0, 1], got {threshold!r}")
    return (probabilities >= thresholds).astype(np.int64)
    # END SOLUTION


def f1_scores(labels, predictions) -> dict:
    """Return ``{"micro": ..., "macro": ...}``, the micro- and macro-averaged F1 of 0/1 ``predictions``.

    ``labels`` and ``predictions`` have shape ``(n, num_labels)`` and hold 0
    and 1.  The F1 of a set of counts is ``2 TP / (2 TP + FP + FN)``, and 0
    when that denominator is 0 (no positive label and no positive
    prediction).  Micro-F1 is the F1 of the counts summed over every label;
    macro-F1 is the mean over the labels of each label's own F1.  Both are
    Python floats.
    """
    # BEGIN SOLUTION: count TP, FP, FN per label, then F1 of the summed counts and mean of per-label F1
    labels = np.asarray(labels) == 1
    predictions = np.asarray(predictions) == 1
    true_positives = np.sum(labels & predictions, axis=0)
    false_positives = np.sum(~labels & predictions, axis=0)
    false_negatives = np.sum(labels & ~predictions, axis=0)

    def f1(tp, fp, fn):
        denominator = 2 * tp + fp + fn
        return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)

    micro = f1(true_positives.sum(), false_positives.sum(), false_negatives.sum())
    macro = f1(true_positives, false_positives, false_negatives).mean()
    return {"micro": float(micro), "macro": float(macro)}
    # END SOLUTION


def tune_thresholds(probabilities, labels, candidates) -> np.ndarray:
    """Return one threshold per label: the candidate with that label's highest F1 on this (validation) data.

    ``probabilities`` and ``labels`` have shape ``(n, num_labels)`` (the
    model's probabilities and the true 0/1 labels of a validation set);
    ``candidates`` is a 1-D sequence of thresholds in [0, 1].  For each label
    (column) separately, predict 1 where its probability is at least a
    candidate, compute that label's F1 (``2 TP / (2 TP + FP + FN)``, 0 when
    the denominator is 0) and keep the candidate with the highest F1 (any of
    them on a tie).  Return a float64 array of shape ``(num_labels,)``, each
    entry one of the candidates.
    """
    # BEGIN SOLUTION: for every label, score every candidate threshold by that label's F1 and keep the best
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels) == 1
    candidates = np.asarray(candidates, dtype=np.float64)
    predicted = probabilities[np.newaxis, :, :] >= candidates[:, np.newaxis, np.newaxis]
    true_positives = np.sum(predicted & labels, axis=1)
    false_positives = np.sum(predicted & ~labels, axis=1)
    false_negatives = np.sum(~predicted & labels, axis=1)
    denominator = 2 * true_positives + false_positives + false_negatives
    scores = np.where(denominator > 0, 2 * true_positives / np.maximum(denominator, 1), 0.0)
    return candidates[np.argmax(scores, axis=0)]
    # END SOLUTION
