"""Hidden checks of object_detection: IoU against a float64 reference, NMS ties and edge cases, detector quality.

The IoU reference lives here, in the hidden file, so that the candidate kit does
not hold a working ``iou``.
"""

from __future__ import annotations

import numpy as np
import pytest
from detection_data import NUM_CLASSES, random_boxes, scenes, swap_corners
from detection_models import (
    TRAIN_DEADLINE_SECONDS,
    expect_indices,
    read_detections,
    robust_threshold,
    tensorflow_nms,
    training_fit,
)

from harness.checks import expect_at_least, expect_close, expect_loss_decreases, verify_keras_model

HELD_OUT_IMAGES = 400
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the mean IoU of the predicted and true
# boxes of 400 secret images is 0.523 at least (median 0.672), the class accuracy on them 0.743 (median 0.943).
# Wrong solutions on the same data: predicting the mean training box gives a mean IoU of about 0.25; a box head
# that is not trained about 0; guessing the class 0.33. The thresholds sit below the lowest correct solution with
# a margin and well above those.
MIN_MEAN_IOU = 0.45
MIN_ACCURACY = 0.6
# A second detector, for 24x24 images and 4 classes (the fourth a plus sign), trained on 256 images: its box MSE
# and class cross-entropy on them must fall.  Calibration (CALIBRATION.md, 20 seeds, reference and every variant):
# the box MSE falls by 0.877 at least; the cross-entropy by 0.205 at least, from a correct variant (linear box head,
# MAE weighted 5) whose box loss leaves the class head little of the shared features; the reference's lowest is
# 0.854.  Wrong solutions on the same data (seeds 0, 8, 18): a class head that is not trained -0.08 to -0.15,
# labels out of step with their images -0.76 to -1.1; a box head that is not trained keeps its box MSE.  The
# class bar was 0.3 until the 20-seed selftest found that variant at 0.205 and 0.247 (seeds 8 and 18).
OTHER_SIZE, OTHER_CLASSES, OTHER_TRAIN_IMAGES = 24, 4, 256
OTHER_MIN_BOX_DROP = 0.3
OTHER_MIN_CLASS_DROP = 0.1


def reference_iou(first, second) -> np.ndarray:
    """IoU of every pair, in float64, as tf.image.non_max_suppression computes it (corners in any order)."""

    def ordered(boxes):
        boxes = np.asarray(boxes, dtype=np.float64)
        return (
            np.minimum(boxes[:, 0], boxes[:, 2]),
            np.minimum(boxes[:, 1], boxes[:, 3]),
            np.maximum(boxes[:, 0], boxes[:, 2]),
            np.maximum(boxes[:, 1], boxes[:, 3]),
        )

    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = ordered(first), ordered(second)
    overlap_x = np.clip(np.minimum.outer(ax2, bx2) - np.maximum.outer(ax1, bx1), 0.0, None)
    overlap_y = np.clip(np.minimum.outer(ay2, by2) - np.maximum.outer(ay1, by1), 0.0, None)
    overlap = overlap_x * overlap_y
    areas = np.add.outer((ax2 - ax1) * (ay2 - ay1), (bx2 - bx1) * (by2 - by1))
    valid = np.multiply.outer((ax2 - ax1) * (ay2 - ay1) > 0, (bx2 - bx1) * (by2 - by1) > 0)
    return np.where(valid, overlap / np.where(valid, areas - overlap, 1.0), 0.0)


def matched_iou(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """The IoU of each predicted box with the true box of the same image."""
    return np.array([reference_iou(one[np.newaxis], other[np.newaxis])[0, 0] for one, other in zip(predicted, true)])


@pytest.mark.points(2)
def test_iou_matches_reference(submission, rng, measure):
    """iou matches a float64 reference on secret boxes, with swapped corners and zero-area boxes among them."""
    first, second = random_boxes(rng, 9).astype(np.float64), random_boxes(rng, 6).astype(np.float64)
    first = swap_corners(first, np.array([1, 4, 7]))
    second = swap_corners(second, np.array([2, 5]))
    first[3, 2] = first[3, 0]  # zero width
    second[0, 3] = second[0, 1]  # zero height
    for dtype in (np.float64, np.float32):
        a, b = first.astype(dtype), second.astype(dtype)
        expected = reference_iou(a, b)
        found = expect_close(
            submission.iou(a, b),
            expected,
            rtol=0.0,
            atol=1e-6,
            what=f"iou(a, b) for {dtype.__name__} boxes, some with x2 < x1 or y2 < y1 and two of zero area",
            hint="order each box's corners first (min and max); a zero-area box has IoU 0",
        )
        measure(f"max abs error, {dtype.__name__}", float(np.max(np.abs(found - expected))))


@pytest.mark.points(2)
def test_nms_ties_and_edge_cases(submission, rng):
    """NMS follows TensorFlow on tied scores, an IoU at the threshold, swapped corners, zero-area boxes, limits."""
    boxes = random_boxes(rng, 24)
    tied = (rng.integers(0, 4, size=24) / 4).astype(np.float32)  # four score levels: many ties
    cases = [("24 boxes with tied scores", boxes, tied, robust_threshold(rng, boxes, tied, 24), 24)]
    swapped = swap_corners(boxes, np.arange(0, 24, 3))
    cases.append(
        (
            "24 boxes with tied scores, every third given as [x2, y2, x1, y1] or [x2, y1, x1, y2]",
            swapped,
            tied,
            robust_threshold(rng, boxes, tied, 10),
            10,
        )
    )
    flat = boxes.copy()
    flat[::4, 2] = flat[::4, 0]  # zero width: never suppresses nor is suppressed
    scores = rng.uniform(size=24).astype(np.float32)
    cases.append(("24 boxes, every fourth of zero width", flat, scores, robust_threshold(rng, flat, scores, 24), 24))
    exact = np.array([[0, 0, 2, 1], [0, 0, 1, 1], [0, 0, 2, 2]], dtype=np.float32)  # IoUs 0.5, 0.5 and 0.25
    exact_scores = np.array([0.9, 0.8, 0.7], dtype=np.float32)
    cases.append(("3 boxes whose IoUs equal iou_threshold=0.5", exact, exact_scores, 0.5, 3))
    cases += [
        ("24 boxes with max_out=0", boxes, scores, 0.5, 0),
        ("24 boxes with iou_threshold=1.0", boxes, tied, 1.0, 24),
        ("24 boxes with iou_threshold=0.0", boxes, scores, 0.0, 24),
        ("no boxes at all", np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5, 5),
    ]
    for description, case_boxes, case_scores, threshold, max_out in cases:
        expect_indices(
            submission.non_max_suppression(case_boxes, case_scores, threshold, max_out),
            tensorflow_nms(case_boxes, case_scores, threshold, max_out),
            what=f"non_max_suppression for {description} (iou_threshold={threshold}, max_out={max_out})",
            hint="a stable order by decreasing score (ties: lower index first), suppression only when the "
            "IoU is strictly greater than iou_threshold, corner order, and max_out",
        )


@pytest.fixture(scope="module")
def held_out(trained, secret):
    """The trained detector's boxes and probabilities on secret images, with the true boxes and labels."""
    images, boxes, labels = scenes(secret.rng("held-out scenes"), HELD_OUT_IMAGES)  # the boxes and labels stay here
    predicted, probabilities = read_detections(
        trained.verified.model.predict_on_batch(images),
        HELD_OUT_IMAGES,
        NUM_CLASSES,
        what=f"the trained detector's outputs on {HELD_OUT_IMAGES} secret images",
    )
    return predicted, probabilities, boxes, labels


@pytest.mark.statistical
@pytest.mark.points(3)
def test_detector_mean_iou(held_out, measure):
    """The trained detector's boxes overlap the true boxes of secret images: mean IoU above the threshold."""
    predicted, _, boxes, _ = held_out
    mean_iou = measure("mean IoU", float(np.mean(matched_iou(predicted, boxes))))
    expect_at_least(
        mean_iou,
        MIN_MEAN_IOU,
        metric=f"the mean IoU of the predicted and true boxes of {HELD_OUT_IMAGES} secret images after train_detector",
        baseline="always predicting the average box gives about 0.25",
        hint="the box head (4 outputs in [0, 1], [x1, y1, x2, y2]), its loss, and the training length",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_detector_class_accuracy(held_out, measure):
    """The trained detector classifies the objects of secret images well above chance."""
    _, probabilities, _, labels = held_out
    accuracy = measure("accuracy", float(np.mean(np.argmax(probabilities, axis=1) == labels)))
    expect_at_least(
        accuracy,
        MIN_ACCURACY,
        metric=f"the class accuracy on {HELD_OUT_IMAGES} secret images after train_detector",
        baseline="chance is 0.33",
        hint="the class head (softmax), its loss, and the labels given to model.fit",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_detector_other_shape_and_classes(submission, secret, measure):
    """build_detector and train_detector follow their arguments: 24x24 images, 4 classes, another training set."""
    input_shape = (OTHER_SIZE, OTHER_SIZE, 1)
    images, boxes, labels = scenes(
        secret.rng("other training scenes"), OTHER_TRAIN_IMAGES, size=OTHER_SIZE, num_classes=OTHER_CLASSES
    )
    model = submission.build_detector(input_shape, OTHER_CLASSES)
    call = f"build_detector({input_shape}, {OTHER_CLASSES})"
    outputs_before = model.predict_on_batch(images)
    submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_detector(model, images, boxes, labels)
    probes = scenes(secret.rng("probe other detector"), 8, size=OTHER_SIZE, num_classes=OTHER_CLASSES)[0]
    verified = verify_keras_model(submission, model, probe_inputs=probes, what=f"{call} after train_detector")
    before, after = (
        read_detections(
            outputs,
            OTHER_TRAIN_IMAGES,
            OTHER_CLASSES,
            what=f"the outputs of {call} on its {OTHER_TRAIN_IMAGES} training images {when}",
        )
        for outputs, when in (
            (outputs_before, "before train_detector"),
            (verified.model.predict_on_batch(images), "after train_detector"),
        )
    )
    errors, entropies = training_fit(before, after, boxes, labels)
    measure("box MSE drop, 24x24", 1 - errors[1] / errors[0] if errors[0] > 0 else 0.0)
    measure("cross-entropy drop, 24x24 and 4 classes", 1 - entropies[1] / entropies[0] if entropies[0] > 0 else 0.0)
    expect_loss_decreases(
        errors,
        min_relative_drop=OTHER_MIN_BOX_DROP,
        what=f"the mean squared error of the boxes of {call} on its {OTHER_TRAIN_IMAGES} training "
        "images, before and after train_detector",
        hint="keras.Input(shape=input_shape), and train_detector fitting the model, images and boxes it is given",
    )
    expect_loss_decreases(
        entropies,
        min_relative_drop=OTHER_MIN_CLASS_DROP,
        what=f"the class cross-entropy of {call} on its {OTHER_TRAIN_IMAGES} training images, "
        "before and after train_detector",
        hint="the class head's num_classes units, and the labels train_detector is given",
    )
