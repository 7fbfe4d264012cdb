"""The object_detection grader's data: one-object images, and random box sets for IoU and NMS.

An image is ``size`` x ``size`` grey levels showing one object of one of four
kinds: a filled rectangle (class 0), a filled ellipse (1), a hollow rectangle with
a 1-pixel border (2) or a plus sign 2 pixels thick (3; only when there are 4
classes).  The object is 5 to 12 pixels wide and, independently, 5 to 12 high,
lies anywhere in the image, has a brightness in [0.6, 1.0), and every pixel gets
Gaussian noise of standard deviation 0.1.  Its box is the rectangle it fills,
``[x1, y1, x2, y2]`` in pixel edges divided by ``size`` (so in [0, 1]).

Every number comes from a generator the checks draw from the run's secret.
"""

from __future__ import annotations

import numpy as np

IMAGE_SIZE = 20
NUM_CLASSES = 3
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
SIDES = (5, 12)  # width and height in pixels, both ends included
BRIGHTNESS = (0.6, 1.0)
NOISE_STD = 0.1
CLASS_NAMES = ("filled rectangle", "filled ellipse", "hollow rectangle", "plus sign")


def _draw(image: np.ndarray, label: int, box: tuple[int, int, int, int], brightness: float) -> None:
    """Draw an object of class ``label`` filling the pixel box ``(x1, y1, x2, y2)`` of ``image``."""
    x1, y1, x2, y2 = box
    if label == 0:
        image[y1:y2, x1:x2] = brightness
    elif label == 1:
        rows, columns = np.mgrid[y1:y2, x1:x2] + 0.5
        centre_x, centre_y, half_width, half_height = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
        inside = ((columns - centre_x) / half_width) ** 2 + ((rows - centre_y) / half_height) ** 2 <= 1.0
        image[y1:y2, x1:x2][inside] = brightness
    elif label == 2:
        image[y1:y2, x1:x2] = brightness
        image[y1 + 1 : y2 - 1, x1 + 1 : x2 - 1] = 0.0
    else:
        middle_x, middle_y = (x1 + x2) // 2, (y1 + y2) // 2
        image[y1:y2, middle_x - 1 : middle_x + 1] = brightness
        image[middle_y - 1 : middle_y + 1, x1:x2] = brightness


def scenes(
    rng: np.random.Generator, count: int, *, size: int = IMAGE_SIZE, num_classes: int = NUM_CLASSES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``count`` images ``(count, size, size, 1)`` float32, their boxes ``(count, 4)`` float32, labels int64."""
    labels = rng.integers(0, num_classes, size=count)
    images = np.zeros((count, size, size), dtype=np.float64)
    boxes = np.zeros((count, 4), dtype=np.float64)
    for image, box, label in zip(images, boxes, labels):
        width, height = rng.integers(SIDES[0], SIDES[1] + 1, size=2)
        x1, y1 = int(rng.integers(0, size - width + 1)), int(rng.integers(0, size - height + 1))
        box[:] = (x1, y1, x1 + width, y1 + height)
        _draw(image, int(label), (x1, y1, x1 + int(width), y1 + int(height)), float(rng.uniform(*BRIGHTNESS)))
    images += rng.normal(0.0, NOISE_STD, size=images.shape)
    return images[..., np.newaxis].astype(np.float32), (boxes / size).astype(np.float32), labels.astype(np.int64)


def random_boxes(rng: np.random.Generator, count: int, *, clusters: int = 4, canvas: float = 100.0) -> np.ndarray:
    """Return ``count`` float32 boxes ``[x1, y1, x2, y2]`` gathered around a few centres, so that many overlap."""
    centres = rng.uniform(0.2 * canvas, 0.8 * canvas, size=(clusters, 2))
    chosen = centres[rng.integers(0, clusters, size=count)] + rng.normal(0.0, 0.06 * canvas, size=(count, 2))
    halves = rng.uniform(0.04 * canvas, 0.2 * canvas, size=(count, 2))
    return np.concatenate([chosen - halves, chosen + halves], axis=1).astype(np.float32)


def swap_corners(boxes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return ``boxes`` with the x corners of ``rows`` swapped, and the y corners of every other one of them."""
    swapped = boxes.copy()
    swapped[rows, 0], swapped[rows, 2] = boxes[rows, 2], boxes[rows, 0]
    both = rows[::2]
    swapped[both, 1], swapped[both, 3] = boxes[both, 3], boxes[both, 1]
    return swapped
