"""Image data augmentation with Keras preprocessing layers and tf.data (seed question 4).

``build_augmenter`` makes a model of random preprocessing layers (flip, rotation,
zoom, contrast) that changes images during training and leaves them alone at
inference; ``augment_dataset`` turns arrays of images and labels into a batched,
augmented and prefetched ``tf.data.Dataset``.  ``dataset_to_arrays`` is given: it
reads a dataset back into NumPy arrays.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

VALUE_RANGE = (0.0, 1.0)  # pixel values of the images this module works on


def build_augmenter(image_shape: tuple[int, int, int], seed: int, rotation: float = 0.05, zoom: float = 0.1,
                    contrast: float = 0.2) -> keras.Sequential:
    """Return a Sequential model that randomly flips, rotates, zooms and changes the contrast of images.

    ``image_shape`` is ``(height, width, channels)``: the model starts with
    ``keras.Input(shape=image_shape)`` and takes batches of float32 images with
    values in [0, 1].  Its layers are Keras's preprocessing layers, one of each:
    ``RandomFlip("horizontal")`` (left-right only), ``RandomRotation(rotation)``
    (``rotation`` is a fraction of a full turn: 0.05 means up to 18 degrees either
    way), ``RandomZoom(zoom)`` (height and width zoomed by the same random
    amount, up to ``zoom`` in or out) and ``RandomContrast(contrast,
    value_range=(0, 1))`` (a contrast factor between ``1 - contrast`` and ``1 +
    contrast``: Keras draws it in ``[1, 1 + contrast]``; results clipped to
    [0, 1]).  A factor of 0 turns its transformation off.
    Every layer is seeded from ``seed``, so two augmenters built with the same
    ``seed`` transform the same images in the same way.  Called with
    ``training=True`` the model returns transformed images of the same shape,
    dtype and value range; at inference (``training=False``, e.g.
    ``predict``) it returns its input unchanged.
    """
    # BEGIN SOLUTION: start with keras.Input, then add the four random layers, each seeded from seed
    return keras.Sequential(
        [
            keras.Input(shape=image_shape),
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(rotation, fill_mode="reflect", seed=seed + 1),
            layers.RandomZoom(zoom, fill_mode="reflect", seed=seed + 2),
            layers.RandomContrast(contrast, value_range=VALUE_RANGE, seed=seed + 3),
        ],
        name="augmenter",
    )
    # END SOLUTION


def augment_dataset(images: np.ndarray, labels: np.ndarray, augmenter: keras.Model, batch_size: int = 32,
                    training: bool = True) -> tf.data.Dataset:
    """Return a tf.data.Dataset of ``(images, labels)`` batches, augmented by ``augmenter`` when ``training``.

    ``images`` has shape ``(n, height, width, channels)`` (float32, values in
    [0, 1]), ``labels`` shape ``(n,)`` (int64).  The dataset keeps the order of
    the examples (no shuffling), groups them into batches of ``batch_size``
    (the last batch holds the remainder), and yields pairs ``(image_batch,
    label_batch)``: images float32 of shape ``(batch, height, width,
    channels)`` with values in [0, 1], labels int64 of shape ``(batch,)``, each
    label still with its own image.  With ``training=True`` every batch goes
    through ``augmenter(image_batch, training=True)`` (labels untouched), so
    each pass over the dataset draws new random transformations; with
    ``training=False`` the images come out unchanged.  The dataset prefetches
    the next batch while the current one is used.
    """
    # BEGIN SOLUTION: slice the arrays into a dataset, batch it, map the augmenter over the image batches, prefetch
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    if training:
        dataset = dataset.map(lambda image_batch, label_batch: (augmenter(image_batch, training=True), label_batch),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
    # END SOLUTION


def dataset_to_arrays(dataset: tf.data.Dataset) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return one pass over ``dataset`` as a list of ``(images, labels)`` NumPy batches, in order (given)."""
    return [(np.asarray(images), np.asarray(labels)) for images, labels in dataset.as_numpy_iterator()]
