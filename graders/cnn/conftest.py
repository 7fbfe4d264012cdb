"""Shared data and fixtures of the cnn checks: synthetic bar images, and the candidate's model trained once.

An image is 16x16 grayscale and shows one bar of one of four orientations:
horizontal (class 0), vertical (1), diagonal "\\" (2) or anti-diagonal "/" (3).
Each bar is 2 pixels thick and 6 to 10 pixels long, lies anywhere in the image
(so a classifier must recognise the orientation wherever it is), has a random
brightness in [0.7, 1.3), and every pixel gets Gaussian noise of standard
deviation 0.3.  Orientation is a local pattern that convolutions pick up and
pooling makes position-independent: the reference CNN reaches ~0.99 accuracy on
fresh images after 10 short epochs, a dense network on the raw pixels ~0.65
(see CALIBRATION.md), and chance is 0.25.

The training images and their labels go to the worker (``train`` needs them).
Images for judging are drawn fresh by each check from its own generator; their
labels stay in the grader, which computes the metrics itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

IMAGE_SIZE = 16
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
NUM_CLASSES = 4
CLASS_NAMES = ("horizontal bar", "vertical bar", "diagonal bar \\", "anti-diagonal bar /")
BAR_LENGTHS = (6, 11)          # drawn from [6, 11)
BAR_THICKNESS = 2
BRIGHTNESS = (0.7, 1.3)
NOISE_STD = 0.3

TRAIN_IMAGES = 640
EPOCHS = 10                    # 100 optimizer steps: enough for Adam's default learning rate too
BATCH_SIZE = 64                # not Keras' default (32), so that a train() ignoring it shows
TRAIN_DEADLINE_SECONDS = 60


def _draw_bar(image: np.ndarray, label: int, rng: np.random.Generator) -> None:
    """Draw one bar of class ``label`` (value 1) at a random place inside ``image``."""
    size = image.shape[0]
    length = int(rng.integers(*BAR_LENGTHS))
    if label == 0:    # horizontal
        row, column = int(rng.integers(0, size - BAR_THICKNESS + 1)), int(rng.integers(0, size - length + 1))
        image[row:row + BAR_THICKNESS, column:column + length] = 1.0
    elif label == 1:  # vertical
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - BAR_THICKNESS + 1))
        image[row:row + length, column:column + BAR_THICKNESS] = 1.0
    elif label == 2:  # diagonal, top left to bottom right
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - length))
        for step in range(length):
            image[row + step, column + step:column + step + BAR_THICKNESS] = 1.0
    else:             # anti-diagonal, top right to bottom left
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(length, size))
        for step in range(length):
            image[row + step, column - step - 1:column - step + 1] = 1.0


def make_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` noisy bar images, shape (count, 16, 16, 1) float32, and their labels (count,) int64."""
    labels = rng.integers(0, NUM_CLASSES, size=count)
    images = np.zeros((count, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float64)
    for image, label in zip(images, labels):
        _draw_bar(image, int(label), rng)
        image *= rng.uniform(*BRIGHTNESS)
    images += rng.normal(0.0, NOISE_STD, size=images.shape)
    return images[..., np.newaxis].astype(np.float32), labels.astype(np.int64)


@dataclass(frozen=True)
class ImageTask:
    """The task's constants and its image generator, for the checks."""

    input_shape: tuple[int, int, int] = INPUT_SHAPE
    num_classes: int = NUM_CLASSES
    train_images: int = TRAIN_IMAGES
    epochs: int = EPOCHS
    batch_size: int = BATCH_SIZE

    @staticmethod
    def images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        return make_images(rng, count)


@dataclass
class TrainedModel:
    """The candidate's model after ``train``: a handle to it, what ``train`` returned, and how long it took."""

    model: Any
    history: Any
    seconds: float


@pytest.fixture(scope="session")
def task() -> ImageTask:
    """The image classification task the checks use."""
    return ImageTask()


@pytest.fixture(scope="session")
def training_images(secret) -> tuple[np.ndarray, np.ndarray]:
    """The run's training images and labels (sent to the worker)."""
    return make_images(secret.rng("training images"), TRAIN_IMAGES)


@pytest.fixture(scope="session")
def fresh_model(submission):
    """An untrained model for the task, ``build_model((16, 16, 1), 4)``, shared by the structure checks."""
    return submission.build_model(INPUT_SHAPE, NUM_CLASSES)


@pytest.fixture(scope="session")
def trained(submission, training_images) -> TrainedModel:
    """Build a model and train it once per run, ``train(model, x, y, epochs=10, batch_size=64)``."""
    x, y = training_images
    model = submission.build_model(INPUT_SHAPE, NUM_CLASSES)
    started = time.perf_counter()
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(
        model, x, y, epochs=EPOCHS, batch_size=BATCH_SIZE)
    return TrainedModel(model=model, history=history, seconds=time.perf_counter() - started)
