"""Shared data and fixtures of the data_augmentation checks: secret images, the candidate's augmenters and datasets.

A dataset cannot leave the worker: the grader keeps a handle to it and reads it
with the module's given ``dataset_to_arrays``, one pass per call, as a list of
``(images, labels)`` batches.  Every image comes from the run's secret (see
``augmentation_data``); the grader keeps its own copy and judges what comes back
against it.  The main augmenter is built with factors that are not the defaults
(``FACTORS``), the main data set has a size and batch size drawn from the secret,
and the augmenter whose passes are compared with another one built with the
same seed serves nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from augmentation_data import COLOR_SHAPE, color_images

from harness.checks import (
    expect_at_least,
    expect_close,
    expect_dtype,
    expect_finite,
    expect_scalar_close,
    expect_shape,
    expect_type,
    verify_keras_model,
)

FACTORS = {"rotation": 0.07, "zoom": 0.12, "contrast": 0.3}  # none is the default, so an ignored one shows
BATCH_SIZES = (8, 16)  # the main batch size is drawn from [8, 16]: never Keras's or the contract's 32
FULL_BATCHES = (3, 5)  # the main set holds 3 or 4 full batches and a partial one


@dataclass
class Batches:
    """One pass over a dataset, as the grader read it: the batches joined, and the size of each batch."""

    images: np.ndarray
    labels: np.ndarray
    sizes: list[int]


@dataclass
class ColorSet:
    """The main secret data set: images, labels (their dominant channel) and the batch size the checks ask for."""

    images: np.ndarray
    labels: np.ndarray
    batch_size: int


def read_batches(result: Any, shape: tuple[int, ...], *, what: str) -> Batches:
    """Validate what ``dataset_to_arrays`` returned for one pass (a list of (images, labels) batches) and join it."""
    hint = "the dataset should yield (images, labels) pairs of batches; dataset_to_arrays is given, keep it as it is"
    batches = expect_type(result, (list, tuple), what=what, hint=hint)
    images, labels, sizes = [], [], []
    for index, batch in enumerate(batches):
        pair = expect_type(batch, (list, tuple), what=f"batch {index} of {what}", hint=hint)
        expect_scalar_close(len(pair), 2, what=f"the number of items in batch {index} of {what}", hint=hint)
        batch_images = expect_shape(
            pair[0],
            (None, *shape),
            what=f"the images of batch {index} of {what}",
            hint="the images' shape must stay (batch, height, width, channels)",
        )
        batch_labels = expect_shape(
            pair[1],
            (len(batch_images),),
            what=f"the labels of batch {index} of {what}",
            hint="one integer label per image, not one-hot, not reshaped",
        )
        expect_dtype(
            batch_images,
            np.float32,
            what=f"the images of batch {index} of {what}",
            hint="keep the images float32 (no casting, no rescaling to 0-255)",
        )
        expect_dtype(
            batch_labels,
            np.int64,
            what=f"the labels of batch {index} of {what}",
            hint="leave the labels as they come (int64)",
        )
        images.append(expect_finite(batch_images, what=f"the images of batch {index} of {what}"))
        labels.append(batch_labels)
        sizes.append(len(batch_images))
    expect_at_least(
        len(images), 1, metric=f"the number of batches in {what}", hint="the dataset should yield every example"
    )
    return Batches(np.concatenate(images), np.concatenate(labels), sizes)


def one_pass(submission, dataset, shape: tuple[int, ...], *, what: str) -> Batches:
    """Read one pass over ``dataset`` (a handle) with the module's dataset_to_arrays."""
    return read_batches(submission.dataset_to_arrays(dataset), shape, what=what)


@pytest.fixture(scope="session")
def color_set(secret) -> ColorSet:
    """The main data set: (3 or 4) * batch_size + remainder colour images, batch_size drawn from [8, 16]."""
    rng = secret.rng("color set")
    batch_size = int(rng.integers(*BATCH_SIZES, endpoint=True))
    count = batch_size * int(rng.integers(*FULL_BATCHES)) + int(rng.integers(1, batch_size))
    images, labels = color_images(rng, count)
    return ColorSet(images, labels, batch_size)


@pytest.fixture(scope="session")
def augmenter(submission, worker_seed):
    """``build_augmenter((16, 20, 3), seed, rotation=0.07, zoom=0.12, contrast=0.3)``: a handle (for inference)."""
    return submission.build_augmenter(COLOR_SHAPE, worker_seed, **FACTORS)


def call_text(color_set: ColorSet, *, training: bool) -> str:
    """How a check names the augment_dataset call on the main set, for messages."""
    return (
        f"augment_dataset(images, labels, augmenter, batch_size={color_set.batch_size}, training={training}) "
        f"on {len(color_set.images)} images"
    )


@pytest.fixture(scope="session")
def augmented_passes(submission, color_set, worker_seed) -> tuple[Batches, Batches]:
    """The first two passes over ``augment_dataset(images, labels, augmenter, batch_size, training=True)``.

    The augmenter is a fresh one built like ``augmenter``, used for nothing else, so that its first pass is what
    any augmenter built with the same seed gives.
    """
    augmenter = submission.build_augmenter(COLOR_SHAPE, worker_seed, **FACTORS)
    dataset = submission.augment_dataset(
        color_set.images, color_set.labels, augmenter, batch_size=color_set.batch_size, training=True
    )
    what = f"a pass over {call_text(color_set, training=True)}"
    first = one_pass(submission, dataset, COLOR_SHAPE, what=f"the first {what[2:]}")
    second = one_pass(submission, dataset, COLOR_SHAPE, what=f"the second {what[2:]}")
    return first, second


def first_pass_with_seed(submission, color_set: ColorSet, seed: int) -> Batches:
    """The first pass of the main augmented dataset with a fresh augmenter built with ``seed``."""
    augmenter = submission.build_augmenter(COLOR_SHAPE, seed, **FACTORS)
    dataset = submission.augment_dataset(
        color_set.images, color_set.labels, augmenter, batch_size=color_set.batch_size, training=True
    )
    return one_pass(
        submission,
        dataset,
        COLOR_SHAPE,
        what=f"the first pass over {call_text(color_set, training=True)}, augmenter seed {seed}",
    )


@pytest.fixture(scope="session")
def verified_augmenter(submission, augmenter, color_set):
    """The grader's rebuild of the main augmenter, proven to compute what it computes at inference on secret images."""
    return verify_keras_model(
        submission,
        augmenter,
        probe_inputs=color_set.images[:8],
        what=f"build_augmenter({COLOR_SHAPE}, seed, {', '.join(f'{k}={v}' for k, v in FACTORS.items())})",
    )


@pytest.fixture(scope="session")
def inference_pass(submission, augmenter, color_set) -> Batches:
    """A pass over ``augment_dataset(images, labels, augmenter, batch_size, training=False)``."""
    dataset = submission.augment_dataset(
        color_set.images, color_set.labels, augmenter, batch_size=color_set.batch_size, training=False
    )
    return one_pass(submission, dataset, COLOR_SHAPE, what=f"a pass over {call_text(color_set, training=False)}")


def augmented_with(
    submission, images: np.ndarray, labels: np.ndarray, seed: int, *, batch_size: int, **factors: float
) -> Batches:
    """One pass over a fresh augmenter's dataset, ``build_augmenter(shape, seed, **factors)``, labels kept in order."""
    shape = tuple(int(size) for size in images.shape[1:])
    augmenter = submission.build_augmenter(shape, seed, **factors)
    dataset = submission.augment_dataset(images, labels, augmenter, batch_size=batch_size, training=True)
    settings = ", ".join(f"{name}={value}" for name, value in factors.items())
    what = (
        f"a pass over augment_dataset(..., batch_size={batch_size}) of {len(images)} images with "
        f"build_augmenter({shape}, seed{', ' + settings if settings else ''})"
    )
    batches = one_pass(submission, dataset, shape, what=what)
    expect_close(
        batches.labels,
        labels,
        atol=0.0,
        rtol=0.0,
        what=f"the labels of {what}",
        hint="keep the examples in their order (no shuffling) and the labels as they are",
    )
    return batches
