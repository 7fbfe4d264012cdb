"""Inputs of the resnet checks, and the grader's own short training of a verified network.

Block inputs are standard normal feature maps with an offset and scale per
channel (so that batch statistics differ from a fresh BatchNormalization's
moving ones).  The deep-stack task is 8x8 RGB noise images whose label is the
channel with the raised mean: a signal a network passes from its input to its
head only if its layers let it through.
"""

from __future__ import annotations

import numpy as np

from harness.checks import EagerAdam

DEEP_SHAPE = (8, 8, 3)
DEEP_CLASSES = 3
CHANNEL_SHIFT = 1.0  # added to the label's channel; every pixel has noise of standard deviation 1
TRAIN_STEPS = 5  # Adam steps of the grader's training, one batch each
TRAIN_BATCH = 64
LEARNING_RATE = 0.01
JUDGE_IMAGES = 128


def feature_maps(rng: np.random.Generator, count: int, shape: tuple[int, int, int]) -> np.ndarray:
    """Standard normal maps of ``shape`` with a per-channel offset in [-1, 1] and scale in [0.5, 2], float32."""
    channels = shape[-1]
    offsets, scales = rng.uniform(-1.0, 1.0, size=channels), rng.uniform(0.5, 2.0, size=channels)
    return (rng.standard_normal((count, *shape)) * scales + offsets).astype(np.float32)


def channel_images(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` noise images (count, 8, 8, 3) whose label channel is raised by 1, and the labels."""
    labels = rng.integers(0, DEEP_CLASSES, size=count)
    images = rng.standard_normal((count, *DEEP_SHAPE))
    images[np.arange(count), :, :, labels] += CHANNEL_SHIFT
    return images.astype(np.float32), labels.astype(np.int64)


def train_briefly(
    model, images: np.ndarray, labels: np.ndarray, judge_images: np.ndarray, judge_labels: np.ndarray
) -> dict:
    """Train ``model`` (a trusted copy) with Adam for a few steps; return its loss and accuracy before and after.

    Each step takes the next ``TRAIN_BATCH`` images; losses and accuracies are measured on the judging images in
    training mode (batch statistics), since a few steps leave BatchNormalization's moving averages far behind.
    """
    import keras
    import tensorflow as tf

    loss_function = keras.losses.SparseCategoricalCrossentropy()
    optimizer = EagerAdam(LEARNING_RATE)  # keras.optimizers.Adam's updates bit for bit, without its per-variable cost

    def judge() -> tuple[float, float]:
        probabilities = np.asarray(model(judge_images, training=True), dtype=np.float64)
        loss = float(loss_function(judge_labels, probabilities))
        return loss, float(np.mean(np.argmax(probabilities, axis=1) == judge_labels))

    loss_before, accuracy_before = judge()
    for step in range(TRAIN_STEPS):
        batch = slice(step * TRAIN_BATCH, (step + 1) * TRAIN_BATCH)
        with tf.GradientTape() as tape:
            loss = loss_function(labels[batch], model(images[batch], training=True))
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    loss_after, accuracy_after = judge()
    return {
        "loss before": loss_before,
        "loss after": loss_after,
        "accuracy before": accuracy_before,
        "accuracy after": accuracy_after,
    }
