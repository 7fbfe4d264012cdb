"""Public checks of object_detection: IoU on hand cases and invariants, NMS against TensorFlow, the detector.

Every random box set and image is drawn from the check's ``rng`` (the run's
secret).  The NMS checks compare with ``tf.image.non_max_suppression`` run here,
in the grader's process, at thresholds that no pair's IoU comes within 0.001 of.
"""

from __future__ import annotations

import numpy as np
import pytest
from detection_data import INPUT_SHAPE, NUM_CLASSES, random_boxes, scenes
from detection_models import (
    MIN_RELATIVE_DROP,
    expect_indices,
    read_detections,
    robust_threshold,
    tensorflow_nms,
    training_fit,
    verify_detector_losses,
)

from harness.checks import (
    expect_close,
    expect_in_range,
    expect_loss_decreases,
    expect_raises_in_submission,
    expect_shape,
    expect_subset,
)

IOU_HINT = "the intersection (clip negative overlaps to 0), the union (sum of the areas minus the intersection)"
# ([x1, y1, x2, y2], [x1, y1, x2, y2], IoU), worked out by hand.
HAND_CASES = [
    ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),  # the same box
    ([0, 0, 2, 2], [1, 0, 3, 2], 2 / 6),  # half of each overlaps
    ([0, 0, 2, 2], [1, 1, 3, 3], 1 / 7),  # a corner overlaps
    ([0, 0, 4, 4], [1, 1, 3, 3], 4 / 16),  # one inside the other
    ([-1, -1, 1, 1], [0, 0, 2, 2], 1 / 7),  # negative coordinates
    ([0, 0, 10, 1], [4, -5, 5, 5], 1 / 19),  # a cross of two thin boxes
    ([0, 0, 1, 1], [2, 2, 3, 3], 0.0),  # disjoint
    ([0, 0, 1, 1], [1, 0, 2, 1], 0.0),  # sharing an edge only
    ([0, 0, 1, 1], [1, 1, 2, 2], 0.0),  # sharing a corner only
    ([1, 1, 1, 1], [0, 0, 2, 2], 0.0),  # a point: zero area
    ([1, 0, 1, 2], [1, 0, 1, 2], 0.0),  # a line, with itself: zero area, not 0/0
    ([2, 2, 0, 0], [0, 0, 2, 2], 1.0),  # corners given the other way round: the same box
    ([3, 0, 1, 2], [0, 0, 2, 2], 2 / 6),  # x2 < x1: the box [1, 0, 3, 2]
    ([0, 2, 2, 0], [1, 1, 3, 3], 1 / 7),  # y2 < y1: the box [0, 0, 2, 2]
]
# Per case: number of boxes, and the max_out to ask for (None: as many as there are boxes).
NMS_CASES = [(12, None), (20, 5), (30, None), (40, 8)]


def _boxes(rows) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


@pytest.mark.points(2)
def test_iou_hand_cases(submission):
    """iou gives the hand-computed IoU: overlaps, nesting, disjoint and touching boxes, zero area, swapped corners."""
    for first, second, expected in HAND_CASES:
        value = submission.iou(_boxes(first), _boxes(second))
        expect_close(
            value,
            [[expected]],
            rtol=0.0,
            atol=1e-6,
            what=f"iou([{first}], [{second}])",
            hint=f"{IOU_HINT}; a box with zero area has IoU 0; [x2, y2, x1, y1] is the same box as [x1, y1, x2, y2]",
        )
    firsts, seconds = _boxes([case[0] for case in HAND_CASES]), _boxes([case[1] for case in HAND_CASES])
    matrix = expect_shape(
        submission.iou(firsts, seconds),
        (len(HAND_CASES), len(HAND_CASES)),
        what=f"iou(a, b) for {len(HAND_CASES)} boxes in each",
        hint="the pairwise broadcasting",
    )
    expect_close(
        np.diag(matrix),
        [case[2] for case in HAND_CASES],
        rtol=0.0,
        atol=1e-6,
        what="the diagonal of iou(a, b), the pairs (a[i], b[i]) of the hand cases",
        hint="the pairwise broadcasting: entry [i, j] is the IoU of a[i] and b[j]",
    )


@pytest.mark.points(2)
def test_iou_pairwise_shape_and_symmetry(submission, rng):
    """iou(a, b) is the (n, m) matrix of every pair: in [0, 1], iou(b, a) is its transpose, iou(a, a) has 1s."""
    first, second = random_boxes(rng, 7).astype(np.float64), random_boxes(rng, 5).astype(np.float64)
    what = "iou(a, b) for a of 7 boxes and b of 5"
    matrix = expect_in_range(
        expect_shape(submission.iou(first, second), (7, 5), what=what, hint="broadcast a[:, None] against b[None, :]"),
        0.0,
        1.0,
        what=what,
    )
    expect_close(
        submission.iou(second, first),
        matrix.T,
        rtol=0.0,
        atol=1e-9,
        what="iou(b, a)",
        hint="IoU is symmetric: iou(b, a) should be the transpose of iou(a, b)",
    )
    expect_close(
        np.diag(submission.iou(first, first)),
        np.ones(7),
        rtol=0.0,
        atol=1e-6,
        what="the diagonal of iou(a, a)",
        hint="the IoU of a box with itself is 1",
    )
    for row, column in zip(rng.integers(0, 7, size=4), rng.integers(0, 5, size=4)):
        single = submission.iou(first[row : row + 1], second[column : column + 1])
        expect_close(
            single,
            matrix[row : row + 1, column : column + 1],
            rtol=0.0,
            atol=1e-9,
            what=f"iou(a[{row}:{row + 1}], b[{column}:{column + 1}]) against entry [{row}, {column}] of iou(a, b)",
            hint="entry [i, j] must be the IoU of a[i] and b[j]",
        )


@pytest.mark.points(3)
def test_nms_matches_tensorflow(submission, rng):
    """non_max_suppression keeps exactly the boxes tf.image.non_max_suppression keeps, in the same order."""
    for count, limit in NMS_CASES:
        boxes = random_boxes(rng, count)
        scores = rng.uniform(0.0, 1.0, size=count).astype(np.float32)
        max_out = count if limit is None else limit
        threshold = robust_threshold(rng, boxes, scores, max_out)
        found = submission.non_max_suppression(boxes, scores, threshold, max_out)
        expect_indices(
            found,
            tensorflow_nms(boxes, scores, threshold, max_out),
            what=f"non_max_suppression of {count} boxes, iou_threshold={threshold}, max_out={max_out}",
            hint="the order of the visits (by decreasing score), suppression of boxes whose IoU with a "
            "kept box is greater than iou_threshold, and max_out",
        )


@pytest.mark.points(1)
def test_nms_bad_arguments(submission, rng):
    """Bad arguments raise ValueError: iou_threshold outside [0, 1], max_out < 0, boxes not (n, 4), wrong scores."""
    boxes = random_boxes(rng, 6)
    scores = rng.uniform(size=6).astype(np.float32)
    calls = {
        "non_max_suppression(boxes, scores, 1.5, 6)": lambda: submission.non_max_suppression(boxes, scores, 1.5, 6),
        "non_max_suppression(boxes, scores, -0.1, 6)": lambda: submission.non_max_suppression(boxes, scores, -0.1, 6),
        "non_max_suppression(boxes, scores, 0.5, -1)": lambda: submission.non_max_suppression(boxes, scores, 0.5, -1),
        "non_max_suppression(boxes[:, :3], scores, 0.5, 6)": lambda: submission.non_max_suppression(
            boxes[:, :3], scores, 0.5, 6
        ),
        "non_max_suppression(boxes, scores[:5], 0.5, 6)": lambda: submission.non_max_suppression(
            boxes, scores[:5], 0.5, 6
        ),
        "iou(boxes[:, :3], boxes)": lambda: submission.iou(boxes[:, :3], boxes),
    }
    for what, call in calls.items():
        expect_raises_in_submission(
            call, accepted=("ValueError",), what=what, hint="the argument checks the docstring lists"
        )


@pytest.mark.points(2)
def test_detector_outputs(submission, fresh_detector, rng):
    """The detector maps images to [boxes (n, 4), class probabilities (n, C)] for 3 and for 5 classes."""
    images = scenes(rng, 6)[0]
    read_detections(
        fresh_detector.predict_on_batch(images),
        6,
        NUM_CLASSES,
        what=f"model.predict_on_batch(x) for 6 images, model = build_detector({INPUT_SHAPE}, 3)",
    )
    other = submission.build_detector(INPUT_SHAPE, 5)
    read_detections(
        other.predict_on_batch(images),
        6,
        5,
        what=f"model.predict_on_batch(x) for 6 images, model = build_detector({INPUT_SHAPE}, 5)",
    )


REGRESSION_LOSSES = (
    "mse",
    "mean_squared_error",
    "MeanSquaredError",
    "mae",
    "mean_absolute_error",
    "MeanAbsoluteError",
    "huber",
    "huber_loss",
    "Huber",
    "log_cosh",
    "logcosh",
    "LogCosh",
)
CLASS_LOSSES = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


@pytest.mark.points(2)
def test_detector_compiled(submission, fresh_detector, verified_detector, rng):
    """The detector is compiled with a regression loss for the box and sparse cross-entropy on probabilities."""
    what = f"build_detector({INPUT_SHAPE}, {NUM_CLASSES})"
    images, boxes, labels = scenes(rng, 16)
    box_loss, class_loss = verify_detector_losses(
        verified_detector, fresh_detector, images, boxes, labels, NUM_CLASSES, what=what
    )
    expect_subset(
        [box_loss["class_name"]],
        REGRESSION_LOSSES,
        what=f"the loss of the box output of {what}",
        noun="loss",
        hint='a regression loss for the box: "mse", "mae", "huber" or "log_cosh"',
    )
    expect_subset(
        [class_loss["class_name"]],
        CLASS_LOSSES,
        what=f"the loss of the class output of {what}",
        noun="loss",
        hint="keras.losses.SparseCategoricalCrossentropy() for integer labels",
    )
    expect_subset(
        [class_loss.get("from_logits")],
        [False],
        what=f"the from_logits setting of the class loss of {what}",
        noun="setting",
        hint="from_logits=True treats the softmax probabilities as logits (a second "
        "softmax): leave it False when the class head ends in a softmax",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_detector_learns(trained, training_scenes, measure):
    """Training lowers both the box error and the class cross-entropy of the detector on its training images."""
    images, boxes, labels = training_scenes
    count = len(images)
    before = read_detections(
        trained.outputs_before,
        count,
        NUM_CLASSES,
        what=f"the detector's outputs on the {count} training images before train_detector",
    )
    after = read_detections(
        trained.verified.model.predict_on_batch(images),
        count,
        NUM_CLASSES,
        what=f"the detector's outputs on the {count} training images after train_detector",
    )
    errors, entropies = training_fit(before, after, boxes, labels)
    measure("box MSE drop", 1 - errors[1] / errors[0] if errors[0] > 0 else 0.0)
    measure("cross-entropy drop", 1 - entropies[1] / entropies[0] if entropies[0] > 0 else 0.0)
    expect_loss_decreases(
        errors,
        min_relative_drop=MIN_RELATIVE_DROP,
        what=f"the mean squared error of the boxes on the {count} training images, before and after train_detector",
        hint="the box loss and the box targets given to model.fit",
    )
    expect_loss_decreases(
        entropies,
        min_relative_drop=MIN_RELATIVE_DROP,
        what=f"the cross-entropy of the class probabilities on the {count} training images, before "
        "and after train_detector",
        hint="the class loss and the labels given to model.fit",
    )
