"""What the grader measures on augmented images, in float64 NumPy: flips, contrast factors, slants, spreads, accuracy.

Each function takes arrays the checks have already validated (finite, the right
shapes) and the grader's own source images.
"""

from __future__ import annotations

import numpy as np

CLASSIFIER_PENALTY = 1.0  # the ridge penalty of the grader's linear classifier


def flip_distances(outputs: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image, the largest difference from its source as it is and from its source mirrored left to right."""
    outputs, sources = outputs.astype(np.float64), sources.astype(np.float64)
    as_is = np.abs(outputs - sources).max(axis=(1, 2, 3))
    mirrored = np.abs(outputs - sources[:, :, ::-1, :]).max(axis=(1, 2, 3))
    return as_is, mirrored


def contrast_fit(outputs: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image, the contrast factor f that best explains it, and the largest error of that explanation.

    The model is ``output = (source - mean) * f + mean`` per channel (``mean`` the source's channel mean), for
    the source as it is or mirrored, whichever fits better; pixels the augmentation clipped at 0 or 1 are left
    out of the fit.
    """
    factors, errors = np.zeros(len(outputs)), np.zeros(len(outputs))
    for index, (output, source) in enumerate(zip(outputs.astype(np.float64), sources.astype(np.float64))):
        best = (np.inf, 1.0)
        for candidate in (source, source[:, ::-1, :]):
            mean = candidate.mean(axis=(0, 1), keepdims=True)
            deviation, change = candidate - mean, output - mean
            kept = (output > 1e-6) & (output < 1 - 1e-6)
            denominator = float(np.sum(deviation[kept] ** 2))
            factor = float(np.sum(deviation[kept] * change[kept]) / denominator) if denominator > 0 else 1.0
            error = float(np.abs(np.clip(deviation * factor + mean, 0.0, 1.0) - output).max())
            best = min(best, (error, factor))  # grader values only
        errors[index], factors[index] = best
    return factors, errors


def slants_and_spreads(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per grey image, the slant of its bright spot (radians, counter-clockwise, in [0, pi)) and its spread.

    Both come from the image's second moments about its centroid, with the pixel values as weights; the spread
    is the square root of the trace of the moment matrix (in pixels).
    """
    _, height, width, _ = images.shape
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = columns, -rows
    slants, spreads = np.zeros(len(images)), np.zeros(len(images))
    for index, image in enumerate(images[..., 0].astype(np.float64)):
        weights = np.clip(image, 0.0, None)
        total = weights.sum()
        mean_x, mean_y = (weights * x).sum() / total, (weights * y).sum() / total
        xx = (weights * (x - mean_x) ** 2).sum() / total
        yy = (weights * (y - mean_y) ** 2).sum() / total
        xy = (weights * (x - mean_x) * (y - mean_y)).sum() / total
        slants[index] = (0.5 * np.arctan2(2 * xy, xx - yy)) % np.pi
        spreads[index] = np.sqrt(xx + yy)
    return slants, spreads


def slant_changes(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Per image, the rotation (degrees) that turns a slant ``before``, or its mirror image, into ``after``.

    Slants are lines (defined modulo 180 degrees); of the source and its mirror image the one that needs the
    smaller rotation is taken, since the augmenter may have flipped the image.
    """

    def wrapped(angle: np.ndarray) -> np.ndarray:
        return (angle + np.pi / 2) % np.pi - np.pi / 2

    as_is, mirrored = np.abs(wrapped(after - before)), np.abs(wrapped(after - (np.pi - before)))
    return np.rad2deg(np.minimum(as_is, mirrored))


def ridge_accuracy(
    train_images: np.ndarray, train_labels: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray, classes: int
) -> float:
    """Accuracy on the test images of a ridge-regression classifier fit to one-hot labels of the training images."""

    def features(images: np.ndarray) -> np.ndarray:
        flat = images.reshape(len(images), -1).astype(np.float64)
        return np.hstack([flat, np.ones((len(images), 1))])

    inputs = features(train_images)
    targets = np.eye(classes)[train_labels]
    weights = np.linalg.solve(inputs.T @ inputs + CLASSIFIER_PENALTY * np.eye(inputs.shape[1]), inputs.T @ targets)
    predictions = np.argmax(features(test_images) @ weights, axis=1)
    return float(np.mean(predictions == test_labels))
