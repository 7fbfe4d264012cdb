"""A convolutional image classifier in Keras 3 (seed questions 1, 13 and 19).

``build_model`` stacks convolution and pooling layers under a Dense softmax
head and compiles the model for integer labels; ``train`` fits it in place.
"""

from __future__ import annotations

import keras
from keras import layers


def build_model(input_shape: tuple[int, int, int], num_classes: int) -> keras.Model:
    """Return a compiled CNN mapping images of ``input_shape`` to ``num_classes`` probabilities.

    ``input_shape`` is ``(height, width, channels)`` (channels last, no batch
    axis), e.g. ``(16, 16, 1)``.  The model takes a batch of shape
    ``(batch, height, width, channels)`` and returns ``(batch, num_classes)``
    class probabilities (each row sums to 1).  It has at least one ``Conv2D``
    layer, at least one pooling layer and a ``Dense`` softmax output layer, and
    is compiled with an optimizer and a loss for integer labels
    ``0 .. num_classes - 1`` (not one-hot) that takes the probabilities:
    ``keras.losses.SparseCategoricalCrossentropy()`` (``from_logits=False``)
    or ``"sparse_categorical_crossentropy"``.  Ready for ``train``.
    """
    # TODO: stack Conv2D and pooling layers, end with a Dense softmax layer, compile for integer labels
    raise NotImplementedError('Stack Conv2D and pooling layers, end with a Dense softmax layer, compile for integer labels')


def train(model: keras.Model, x, y, epochs: int = 5, batch_size: int = 32) -> dict:
    """Fit ``model`` in place on images ``x`` and integer labels ``y``; return the per-epoch history.

    ``x`` has shape ``(n, height, width, channels)`` (float32), ``y`` shape
    ``(n,)`` with labels ``0 .. num_classes - 1``.  Train for exactly
    ``epochs`` epochs with mini-batches of ``batch_size`` images.  Return the
    dict of per-epoch values that Keras records (the ``history`` attribute of
    the object ``fit`` returns): at least ``"loss"``, a list with one number
    per epoch.
    """
    # TODO: call model.fit with the given epochs and batch size, then return the History's dict
    raise NotImplementedError("Call model.fit with the given epochs and batch size, then return the History's dict")
