"""Object detection in miniature (seed question 24): IoU, non-max suppression and a one-object detector.

A box is ``[x1, y1, x2, y2]``: two opposite corners of an axis-aligned rectangle.
``iou`` and ``non_max_suppression`` work in NumPy; the detector is a Keras 3 CNN
with two heads, one regressing the box of the single object in an image and one
classifying it.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def iou(boxes_a, boxes_b) -> np.ndarray:
    """Return the intersection over union of every box of ``boxes_a`` with every box of ``boxes_b``.

    ``boxes_a`` has shape ``(n, 4)`` and ``boxes_b`` shape ``(m, 4)`` (float32
    or float64); each row is ``[x1, y1, x2, y2]``.  As in
    ``tf.image.non_max_suppression``, a row gives any two opposite corners: a
    box with ``x2 < x1`` (or ``y2 < y1``) is the same box as with the two
    swapped.  Returns a float64 array of shape ``(n, m)`` whose entry
    ``[i, j]`` is ``area(A_i ∩ B_j) / area(A_i ∪ B_j)``, in [0, 1]; it is 0 when
    either box has zero area (never NaN).  Boxes that only touch have IoU 0.
    Raises ``ValueError`` unless both arguments have shape ``(k, 4)``.
    """
    # BEGIN SOLUTION: order the corners, then broadcast (n, 1) against (1, m) to get every overlap at once
    corners = []
    for name, boxes in (("boxes_a", boxes_a), ("boxes_b", boxes_b)):
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"{name} should have shape (count, 4), but it has shape {boxes.shape}")
        corners.append(np.concatenate([np.minimum(boxes[:, :2], boxes[:, 2:]),
                                       np.maximum(boxes[:, :2], boxes[:, 2:])], axis=1))
    first, second = corners
    top_left = np.maximum(first[:, np.newaxis, :2], second[np.newaxis, :, :2])
    bottom_right = np.minimum(first[:, np.newaxis, 2:], second[np.newaxis, :, 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=-1)
    first_area = np.prod(first[:, 2:] - first[:, :2], axis=1)[:, np.newaxis]
    second_area = np.prod(second[:, 2:] - second[:, :2], axis=1)[np.newaxis, :]
    both_have_area = (first_area > 0) & (second_area > 0)
    union = np.where(both_have_area, first_area + second_area - intersection, 1.0)
    return np.where(both_have_area, intersection / union, 0.0)
    # END SOLUTION


def non_max_suppression(boxes, scores, iou_threshold: float, max_out: int) -> np.ndarray:
    """Return the indices of the boxes that greedy non-max suppression keeps, as ``tf.image.non_max_suppression``.

    ``boxes`` has shape ``(n, 4)`` (corners as for ``iou``), ``scores`` shape
    ``(n,)``.  Repeatedly take the remaining box with the highest score (of equal
    scores, the one with the lower index first), keep it, and discard every
    remaining box whose IoU with it is greater than ``iou_threshold`` (a box at
    exactly the threshold stays); stop after ``max_out`` boxes or when none
    remain.  Returns an integer array of at most ``max_out`` indices into
    ``boxes``, in the order they were kept (by decreasing score).  Raises
    ``ValueError`` when ``iou_threshold`` is not in [0, 1], ``max_out`` is
    negative, ``boxes`` is not ``(n, 4)`` or ``scores`` is not ``(n,)``.
    """
    # BEGIN SOLUTION: visit the boxes by decreasing score (stable for ties), keep one, suppress its overlaps
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4 or scores.shape != (len(boxes),):
        raise ValueError(f"boxes should be (n, 4) and scores (n,), but they are {boxes.shape} and {scores.shape}")
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold should be in [0, 1], but it is {iou_threshold}")
    if max_out < 0:
        raise ValueError(f"max_out should not be negative, but it is {max_out}")
    overlaps = iou(boxes, boxes)
    suppressed = np.zeros(len(boxes), dtype=bool)
    kept = []
    for index in np.argsort(-scores, kind="stable"):
        if len(kept) == max_out:
            break
        if not suppressed[index]:
            kept.append(index)
            suppressed |= overlaps[index] > iou_threshold
    return np.asarray(kept, dtype=np.int64)
    # END SOLUTION


def build_detector(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """Return a compiled keras.Model mapping images to ``[boxes, class_probabilities]``.

    ``input_shape`` is ``(height, width, channels)``.  The model takes a batch
    ``(batch, height, width, channels)`` and has two outputs, in this order:
    the box of the image's one object, ``(batch, 4)``, as ``[x1, y1, x2, y2]``
    divided by the image width and height (so in [0, 1]); and the class
    probabilities, ``(batch, num_classes)``, each row summing to 1 (a softmax).
    Build it from Keras's built-in layers with the functional API, and compile
    it with two losses in output order: a regression loss for the box (mean
    squared or absolute error, Huber or log-cosh) and
    ``keras.losses.SparseCategoricalCrossentropy()`` (``from_logits=False``,
    integer labels) for the class, weighted (``loss_weights``) so that the box
    is learnt as well as the class.
    """
    # BEGIN SOLUTION: shared convolutional features, then a sigmoid box head and a softmax class head
    inputs = keras.Input(shape=input_shape)
    features = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
    features = layers.Conv2D(32, 3, padding="same", activation="relu")(features)
    features = layers.MaxPooling2D(2)(features)
    features = layers.Flatten()(features)
    features = layers.Dense(64, activation="relu")(features)
    boxes = layers.Dense(4, activation="sigmoid", name="box")(features)
    classes = layers.Dense(num_classes, activation="softmax", name="class")(features)
    model = keras.Model(inputs, [boxes, classes], name="detector")
    # The box error of normalised coordinates (~0.01) is far smaller than the class cross-entropy (~1): weight it.
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss=["mse", keras.losses.SparseCategoricalCrossentropy()], loss_weights=[10.0, 1.0])
    return model
    # END SOLUTION


def train_detector(model: keras.Model, images, boxes, labels) -> None:
    """Fit ``model`` (from ``build_detector``) in place on one-object images; return nothing.

    ``images`` has shape ``(n, height, width, channels)`` (float32), ``boxes``
    shape ``(n, 4)`` (normalised ``[x1, y1, x2, y2]`` as the model outputs them)
    and ``labels`` shape ``(n,)`` (integers ``0 .. num_classes - 1``).  Choose
    the epochs and batch size; the grader gives the call 60 CPU seconds.
    """
    # BEGIN SOLUTION: fit both heads at once: the targets in the order of the outputs
    model.fit(images, [boxes, labels], epochs=12, batch_size=32, shuffle=True, verbose=0)
    # END SOLUTION
