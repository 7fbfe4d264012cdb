"""The images of the data_augmentation checks, every one drawn from a generator the check gets from the run's secret.

Three kinds of images, float32 with values in [0, 1]:

- colour images (16x20 RGB): a base colour in which one channel dominates (its
  mean is at least 0.2 above the others'), blocky shading, a white rectangle
  (value 1) and a black square (value 0) at random places, so that a flip, a
  rotation or a zoom visibly changes the image and a contrast change pushes
  values past 1 unless it is clipped.  The label is the dominant channel: a
  property of the image that every augmentation here keeps, so the grader can
  tell from an augmented image which label belongs with it;
- blob images (20x20 grey): one elongated Gaussian spot in the centre at a
  known slant, so that the grader can measure by how much an augmentation
  rotated (the slant of the spot) and zoomed (its spread) each image;
- glyph images (12x12 grey): a short horizontal, vertical or diagonal stroke
  (the label) near the left edge; the held-out images are their mirror images,
  with the stroke near the right edge, which a classifier sees in training only
  when the augmentation flips images left to right.
"""

from __future__ import annotations

import numpy as np

COLOR_SHAPE = (16, 20, 3)
BLOB_SHAPE = (20, 20, 1)
GLYPH_SHAPE = (12, 12, 1)
GLYPH_CLASSES = 3

DOMINANT = (0.55, 0.75)  # the dominant channel's base value
OTHERS = (0.15, 0.35)  # the other channels'
SHADING = 0.12  # blocky shading, the same in every channel, in [-0.12, 0.12]
SHADING_CELL = 4  # pixels per shading block

BLOB_SPREAD = (3.0, 1.2)  # standard deviations of the spot along and across its slant, in pixels
BLOB_SLANTS = (35.0, 55.0)  # degrees from the horizontal, or 180 minus that: far from a flip's fixed points


def color_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` colour images (count, 16, 20, 3) and their labels, the dominant channel (int64)."""
    height, width, channels = COLOR_SHAPE
    labels = rng.integers(0, channels, size=count)
    base = rng.uniform(*OTHERS, size=(count, channels))
    base[np.arange(count), labels] = rng.uniform(*DOMINANT, size=count)
    cells = rng.uniform(-SHADING, SHADING, size=(count, height // SHADING_CELL, width // SHADING_CELL))
    shading = np.repeat(np.repeat(cells, SHADING_CELL, axis=1), SHADING_CELL, axis=2)
    images = base[:, np.newaxis, np.newaxis, :] + shading[..., np.newaxis]
    for image in images:
        rows, columns = int(rng.integers(3, 6)), int(rng.integers(3, 7))
        top, left = int(rng.integers(0, height - rows + 1)), int(rng.integers(0, width // 2 - columns + 1))
        if rng.random() < 0.5:
            left = width - columns - left  # the rectangle sits in the left or the right half
        image[top : top + rows, left : left + columns, :] = 1.0
        top, left = int(rng.integers(0, height - 1)), int(rng.integers(0, width - 1))
        image[top : top + 2, left : left + 2, :] = 0.0
    return np.clip(images, 0.0, 1.0).astype(np.float32), labels.astype(np.int64)


def blob_slants(rng: np.random.Generator, count: int) -> np.ndarray:
    """Slants in radians, in [35, 55] or [125, 145] degrees."""
    degrees = rng.uniform(*BLOB_SLANTS, size=count)
    degrees = np.where(rng.random(count) < 0.5, degrees, 180.0 - degrees)
    return np.deg2rad(degrees)


def blob_images(slants: np.ndarray) -> np.ndarray:
    """Return one image (20, 20, 1) per slant: an elongated Gaussian spot of peak 1 in the centre."""
    height, width, _ = BLOB_SHAPE
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = columns - (width - 1) / 2, (height - 1) / 2 - rows  # y up, so that slants are counter-clockwise
    along_spread, across_spread = BLOB_SPREAD
    images = []
    for slant in slants:
        along = x * np.cos(slant) + y * np.sin(slant)
        across = -x * np.sin(slant) + y * np.cos(slant)
        images.append(np.exp(-0.5 * ((along / along_spread) ** 2 + (across / across_spread) ** 2)))
    return np.stack(images)[..., np.newaxis].astype(np.float32)


def _draw_glyph(image: np.ndarray, label: int, row: int, column: int) -> None:
    """Draw stroke ``label`` (0 horizontal, 1 vertical, 2 diagonal), 5 pixels long, centred at (row, column)."""
    for step in range(-2, 3):
        if label == 0:
            image[row, column + step] = 1.0
        elif label == 1:
            image[row + step, column] = 1.0
        else:
            image[row + step, column + step] = 1.0


def glyph_images(rng: np.random.Generator, count: int, *, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` glyph images (count, 12, 12, 1) and labels; the stroke is near the left edge, or the right."""
    height, width, _ = GLYPH_SHAPE
    labels = rng.integers(0, GLYPH_CLASSES, size=count)
    strokes = np.zeros((count, height, width))
    for image, label in zip(strokes, labels):
        _draw_glyph(image, int(label), int(rng.integers(4, 8)), int(rng.integers(2, 4)))
    brightness = rng.uniform(0.6, 1.0, size=(count, 1, 1))
    images = 0.1 + strokes * brightness + rng.normal(0.0, 0.08, size=strokes.shape)
    if mirrored:
        images = images[:, :, ::-1]
    return np.clip(images, 0.0, 1.0)[..., np.newaxis].astype(np.float32), labels.astype(np.int64)
