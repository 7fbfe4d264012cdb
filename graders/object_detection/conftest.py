"""Shared fixtures of the object_detection checks: the detector trained once, on images drawn from the secret.

The training images and their boxes and labels go to the worker (``train_detector``
needs them); the images the detector is judged on are drawn by each check from its
own generator, and their boxes and labels stay here.  After training, the grader
verifies the detector (``verify_keras_model``: it rebuilds it from its config and
weights and proves the rebuild computes what the candidate's model computes on
secret images) and reads every later prediction from that rebuild.  The grader imports
TensorFlow itself: ``tf.image.non_max_suppression`` is the ground truth of the NMS
checks, and Keras rebuilds the candidate's model to verify what it claims.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from detection_data import INPUT_SHAPE, NUM_CLASSES, scenes
from detection_models import TRAIN_DEADLINE_SECONDS

from harness.checks import verify_keras_model

TRAIN_IMAGES = 640
PROBE_IMAGES = 8


def _import_tensorflow() -> None:
    """Import TensorFlow and Keras while the worker imports its own: most checks need them."""
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    except Exception:  # the first check that needs them imports them again and reports the error
        pass


threading.Thread(target=_import_tensorflow, name="import tensorflow", daemon=True).start()


@dataclass
class TrainedDetector:
    """The candidate's detector after ``train_detector``, its outputs on the training images before, its rebuild."""

    model: Any
    outputs_before: Any
    verified: Any


@pytest.fixture(scope="session")
def training_scenes(secret) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The run's training images, boxes and labels (sent to the worker)."""
    return scenes(secret.rng("training scenes"), TRAIN_IMAGES)


@pytest.fixture(scope="session")
def fresh_detector(submission):
    """An untrained detector, ``build_detector((20, 20, 1), 3)``."""
    return submission.build_detector(INPUT_SHAPE, NUM_CLASSES)


@pytest.fixture(scope="session")
def verified_detector(submission, fresh_detector, secret):
    """The grader's rebuild of the fresh detector, proven to compute what the candidate's does on secret images."""
    probes = scenes(secret.rng("probe images"), PROBE_IMAGES)[0]
    return verify_keras_model(
        submission, fresh_detector, probe_inputs=probes, what=f"build_detector({INPUT_SHAPE}, {NUM_CLASSES})"
    )


@pytest.fixture(scope="session")
def trained(submission, training_scenes, secret) -> TrainedDetector:
    """Build a detector, train it once per run with ``train_detector``, then verify it and keep the rebuild."""
    images, boxes, labels = training_scenes
    model = submission.build_detector(INPUT_SHAPE, NUM_CLASSES)
    outputs_before = model.predict_on_batch(images)
    submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_detector(model, images, boxes, labels)
    verified = verify_keras_model(
        submission,
        model,
        probe_inputs=scenes(secret.rng("probe trained detector"), PROBE_IMAGES)[0],
        what="the detector after train_detector",
    )
    return TrainedDetector(model=model, outputs_before=outputs_before, verified=verified)
