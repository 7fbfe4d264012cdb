"""What the object_detection checks share: reading a detector's outputs, TensorFlow's NMS, and verified losses.

The detector's two losses are a claim until verified: the grader rebuilds each
loss from the model's compile settings, computes the total loss of the verified
rebuild's outputs, and requires the candidate's own ``evaluate`` to report the
same number (``verify_compiled_loss`` does this for one-output models).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.checks import (
    CheckFailed,
    UnverifiableModel,
    VerifiedModel,
    expect_array,
    expect_finite,
    expect_probabilities,
    expect_scalar,
    expect_scalar_close,
    expect_shape,
    expect_type,
    loss_settings,
)

# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): on their training images, the box MSE and
# the class cross-entropy of a detector (both computed here from its predictions before and after train_detector)
# fall by at least 0.949 and 0.649. A detector whose box head is not trained keeps its box MSE (drop ~0).
# 50% leaves a wide margin for slower correct set-ups.
MIN_RELATIVE_DROP = 0.5
TRAIN_DEADLINE_SECONDS = 60
OUTPUTS_HINT = "build_detector: keras.Model(inputs, [boxes, class_probabilities]), boxes first"
LOSS_RTOL = 1e-3
LOSS_ATOL = 1e-5
NMS_MARGIN = 1e-3  # thresholds this close to a pair's IoU are avoided: float32 and float64 may disagree there


def read_detections(outputs: Any, count: int, num_classes: int, *, what: str) -> tuple[np.ndarray, np.ndarray]:
    """The detector's ``[boxes (count, 4), probabilities (count, num_classes)]`` as float64 arrays, or fail."""
    outputs = expect_type(outputs, (list, tuple), what=what, hint=OUTPUTS_HINT)
    expect_scalar_close(len(outputs), 2, rtol=0.0, atol=0.0, what=f"the number of arrays in {what}", hint=OUTPUTS_HINT)
    boxes = expect_finite(
        expect_shape(outputs[0], (count, 4), what=f"the boxes (first output) of {what}", hint="the box head: Dense(4)"),
        what=f"the boxes of {what}",
    )
    probabilities = expect_shape(
        outputs[1],
        (count, num_classes),
        what=f"the class probabilities (second output) of {what}",
        hint='the class head: Dense(num_classes, activation="softmax")',
    )
    probabilities = expect_probabilities(
        probabilities, what=f"the class probabilities of {what}", hint="the activation of the class head (softmax)"
    )
    return boxes.astype(np.float64), probabilities.astype(np.float64)


def tensorflow_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, max_out: int) -> np.ndarray:
    """``tf.image.non_max_suppression`` in this (trusted) process: the indices it keeps, in its order."""
    import tensorflow as tf

    kept = tf.image.non_max_suppression(boxes, scores, max_output_size=max_out, iou_threshold=iou_threshold)
    return kept.numpy().astype(np.int64)


def robust_threshold(
    rng: np.random.Generator, boxes: np.ndarray, scores: np.ndarray, max_out: int, low: float = 0.1, high: float = 0.8
) -> float:
    """A threshold in [low, high) at which TensorFlow keeps the same boxes as NMS_MARGIN below and above it."""
    for _ in range(50):
        threshold = float(np.round(rng.uniform(low, high), 4))
        kept = tensorflow_nms(boxes, scores, threshold, max_out)
        if all(
            np.array_equal(kept, tensorflow_nms(boxes, scores, threshold + shift, max_out))
            for shift in (-NMS_MARGIN, NMS_MARGIN)
        ):
            return threshold
    raise RuntimeError("no threshold away from every pair's IoU: a bug in the grader's case generator")


def _rebuild_loss(config: Any, *, what: str) -> Any:
    import keras

    if config is None:
        raise UnverifiableModel(f"{what} should be compiled with a loss for each of its two outputs, but one has none.")
    try:
        return keras.losses.get(config)
    except Exception as error:  # any failure to deserialise means the claim cannot be verified
        raise UnverifiableModel(
            f"the loss {config!r} {what} was compiled with cannot be rebuilt ({type(error).__name__})."
        ) from None


def _per_output(value: Any, names: list[str], *, default: Any, what: str, setting: str) -> list[Any]:
    """A compile setting given per output (a list in output order, or a dict by output name) as a list."""
    if value is None:
        return [default] * len(names)
    if isinstance(value, dict) and set(value) == set(names):
        return [value[name] for name in names]
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return list(value)
    raise UnverifiableModel(
        f"{what} should be compiled with {setting} for each of its {len(names)} outputs (a list "
        f"in output order, or a dict by output name {names}), but its {setting} is {value!r}."
    )


def verify_detector_losses(
    verified: VerifiedModel,
    handle: Any,
    images: np.ndarray,
    boxes: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    what: str,
) -> list[dict]:
    """Prove the losses the detector claims are those its ``evaluate`` computes; return their settings, in order."""
    config = verified.compile_config or {}
    names = list(verified.model.output_names)
    losses = [
        _rebuild_loss(item, what=what)
        for item in _per_output(config.get("loss"), names, default=None, what=what, setting="a loss")
    ]
    weights = [
        expect_scalar(weight, what=f"a loss weight of {what}")
        for weight in _per_output(config.get("loss_weights"), names, default=1.0, what=what, setting="loss_weights")
    ]
    predictions = read_detections(
        verified.model.predict_on_batch(images),
        len(images),
        num_classes,
        what=f"{what}.predict_on_batch(x) for {len(images)} images",
    )
    expected = sum(
        weight * float(np.mean(np.asarray(loss(target, prediction))))
        for weight, loss, target, prediction in zip(weights, losses, (boxes, labels), predictions)
    )
    expected += float(sum(float(np.asarray(term)) for term in verified.model.losses))
    reported = expect_type(
        handle.evaluate(images, [boxes, labels], batch_size=len(images), verbose=0, return_dict=True),
        dict,
        what=f"{what}.evaluate(..., return_dict=True)",
    )
    found = expect_scalar(reported.get("loss"), what=f"the loss {what}.evaluate reports")
    if not abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected):
        raise UnverifiableModel(
            f"{what}.evaluate reports a loss of {found:.6g}, but the losses it claims to be compiled with give "
            f"{expected:.6g} on the same images: its compile settings cannot be verified. Give each loss by name or "
            "as a keras.losses class with its default settings (Keras does not save, e.g., Huber's delta)."
        )
    return [loss_settings(loss) for loss in losses]


def expect_indices(found, expected: np.ndarray, *, what: str, hint: str) -> None:
    """Fail unless ``found`` is an integer array equal to ``expected``, element for element and in order."""
    indices = expect_array(found, what=what, hint=hint, dtype_kind="iu")
    if indices.shape != expected.shape or not np.array_equal(indices, expected):
        raise CheckFailed(
            f"{what} should keep the boxes {expected.tolist()} in this order (as "
            f"tf.image.non_max_suppression), but it returned {indices.tolist()}. Look at {hint}."
        )


def training_fit(
    before: tuple[np.ndarray, np.ndarray], after: tuple[np.ndarray, np.ndarray], boxes: np.ndarray, labels: np.ndarray
) -> tuple[list[float], list[float]]:
    """The box MSE and the class cross-entropy of detections before and after training, computed here."""
    rows = np.arange(len(labels))
    errors = [float(np.mean((predicted - boxes) ** 2)) for predicted, _ in (before, after)]
    entropies = [
        float(-np.mean(np.log(np.clip(probabilities[rows, labels], 1e-7, 1.0)))) for _, probabilities in (before, after)
    ]
    return errors, entropies
