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
    # TODO: hidden Dense layers, a Dense sigmoid output layer, compile with binary cross-entropy
    raise NotImplementedError('Hidden Dense layers, a Dense sigmoid output layer, compile with binary cross-entropy')


def predict_labels(probabilities, threshold=0.5) -> np.ndarray:
    """Return 0/1 labels: 1 where a probability is at least its label's threshold.

    ``probabilities`` has shape ``(n, num_labels)``.  ``threshold`` is one
    number for every label, or a sequence of ``num_labels`` numbers, one per
    label (column); each must lie in [0, 1], else raise ``ValueError`` (also
    for a sequence of the wrong length).  Return an int64 array of shape
    ``(n, num_labels)``: 1 where ``probabilities >= threshold`` (a probability
    equal to the threshold counts as 1), else 0.
    """
    # TODO: broadcast one threshold per column, validate it, compare with >=
    raise NotImplementedError('Broadcast one threshold per column, validate it, compare with >=')


def f1_scores(labels, predictions) -> dict:
    """Return ``{"micro": ..., "macro": ...}``, the micro- and macro-averaged F1 of 0/1 ``predictions``.

    ``labels`` and ``predictions`` have shape ``(n, num_labels)`` and hold 0
    and 1.  The F1 of a set of counts is ``2 TP / (2 TP + FP + FN)``, and 0
    when that denominator is 0 (no positive label and no positive
    prediction).  Micro-F1 is the F1 of the counts summed over every label;
    macro-F1 is the mean over the labels of each label's own F1.  Both are
    Python floats.
    """
    # TODO: count TP, FP, FN per label, then F1 of the summed counts and mean of per-label F1
    raise NotImplementedError('Count TP, FP, FN per label, then F1 of the summed counts and mean of per-label F1')


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
    # TODO: for every label, score every candidate threshold by that label's F1 and keep the best
    raise NotImplementedError("For every label, score every candidate threshold by that label's F1 and keep the best")
