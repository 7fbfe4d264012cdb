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

Every image comes from the run's secret (``secret.rng``): the training images and
their labels go to the worker (``train`` needs them); images for judging are drawn
by each check from its own generator, and their labels stay in the grader, which
computes the metrics itself.  What the worker says about a model (its layers, its
loss, its weights) is verified first (``verify_keras_model``): the grader rebuilds
the model and proves that the rebuild computes what the candidate's model computes
on secret images.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from harness.checks import expect_changed, verify_keras_model

IMAGE_SIZE = 16
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
NUM_CLASSES = 4
CLASS_NAMES = ("horizontal bar", "vertical bar", "diagonal bar \\", "anti-diagonal bar /")
BAR_LENGTHS = (6, 11)  # drawn from [6, 11)
BAR_THICKNESS = 2
BRIGHTNESS = (0.7, 1.3)
NOISE_STD = 0.3

TRAIN_IMAGES = 640
EPOCHS = 10  # 100 optimizer steps: enough for Adam's default learning rate too
BATCH_SIZE = 64  # not Keras' default (32), so that a train() ignoring it shows
TRAIN_DEADLINE_SECONDS = 60
PROBE_IMAGES = 8  # secret images on which a model's description is verified
STEP_IMAGES = 120  # the small set the step checks train fresh models on
STEP_BATCHES = 4  # batch_size 30 (not Keras' default 32): 4 optimizer steps per epoch


def _draw_bar(image: np.ndarray, label: int, rng: np.random.Generator) -> None:
    """Draw one bar of class ``label`` (value 1) at a random place inside ``image``."""
    size = image.shape[0]
    length = int(rng.integers(*BAR_LENGTHS))
    if label == 0:  # horizontal
        row, column = int(rng.integers(0, size - BAR_THICKNESS + 1)), int(rng.integers(0, size - length + 1))
        image[row : row + BAR_THICKNESS, column : column + length] = 1.0
    elif label == 1:  # vertical
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - BAR_THICKNESS + 1))
        image[row : row + length, column : column + BAR_THICKNESS] = 1.0
    elif label == 2:  # diagonal, top left to bottom right
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - length))
        for step in range(length):
            image[row + step, column + step : column + step + BAR_THICKNESS] = 1.0
    else:  # anti-diagonal, top right to bottom left
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(length, size))
        for step in range(length):
            image[row + step, column - step - 1 : column - step + 1] = 1.0


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
    step_set_size: int = STEP_IMAGES
    step_batches: int = STEP_BATCHES

    @staticmethod
    def images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        return make_images(rng, count)


@dataclass
class TrainedModel:
    """The candidate's model after ``train``: a handle to it, its outputs on the training images before ``train``,
    what ``train`` returned, and how long it took."""

    model: Any
    outputs_before: Any
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
    outputs_before = model.predict_on_batch(x)
    started = time.perf_counter()
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train(model, x, y, epochs=EPOCHS, batch_size=BATCH_SIZE)
    return TrainedModel(
        model=model, outputs_before=outputs_before, history=history, seconds=time.perf_counter() - started
    )


@pytest.fixture(scope="session")
def probe_images(secret) -> np.ndarray:
    """Secret images on which the grader verifies what the worker says about a model."""
    return make_images(secret.rng("probe images"), PROBE_IMAGES)[0]


@pytest.fixture(scope="session")
def verified_fresh_model(submission, fresh_model, probe_images):
    """The grader's rebuild of ``build_model((16, 16, 1), 4)``, proven to compute what the candidate's model does."""
    return verify_keras_model(
        submission, fresh_model, probe_inputs=probe_images, what=f"build_model({INPUT_SHAPE}, {NUM_CLASSES})"
    )


@pytest.fixture(scope="session")
def step_images(secret) -> tuple[np.ndarray, np.ndarray]:
    """The small training set of the step checks (sent to the worker)."""
    return make_images(secret.rng("step images"), STEP_IMAGES)


def _trainable_weights(verified) -> list[np.ndarray]:
    """The trainable weights of a verified model (not the moving averages of BatchNormalization, which no step sets)."""
    return [np.asarray(weight, dtype=np.float64) for weight in verified.model.trainable_weights]


def training_weight_change(submission, images, probe_images, *, epochs: int, batch_size: int) -> float:
    """Train a fresh model once and return the largest change of any trainable weight, verified before and after.

    Both weight sets come from rebuilds proven to compute what the candidate's model computes, so the
    change is measured, not reported.  With Adam every weight moves by at most the learning rate per
    step, and the weights with a steady gradient by about that much: the largest change grows in
    proportion to the number of optimizer steps (with SGD and momentum, faster).
    """
    x, y = images
    call = f"train(model, x, y, epochs={epochs}, batch_size={batch_size}) on {len(x)} images"
    model = submission.build_model(INPUT_SHAPE, NUM_CLASSES)
    before = _trainable_weights(
        verify_keras_model(
            submission, model, probe_inputs=probe_images, what=f"build_model({INPUT_SHAPE}, {NUM_CLASSES})"
        )
    )
    submission.train(model, x, y, epochs=epochs, batch_size=batch_size)
    after = _trainable_weights(
        verify_keras_model(submission, model, probe_inputs=probe_images, what=f"the model after {call}")
    )
    return expect_changed(
        before,
        after,
        what=f"the trainable weights of the model after {call}",
        hint="train must fit the model it is given (model.fit), not a copy",
    )


@pytest.fixture(scope="session")
def step_weight_change(submission, step_images, probe_images):
    """``change(epochs=..., batch_size=...)``: the largest verified weight change of training a fresh model."""

    def change(*, epochs: int, batch_size: int) -> float:
        return training_weight_change(submission, step_images, probe_images, epochs=epochs, batch_size=batch_size)

    return change


@pytest.fixture(scope="session")
def one_step_change(step_weight_change) -> float:
    """The largest weight change of one full-batch epoch: ``train(model, x, y, epochs=1, batch_size=120)``."""
    return step_weight_change(epochs=1, batch_size=STEP_IMAGES)
