"""A residual network (ResNet) in Keras 3 with the functional API (seed question 9).

``residual_block`` adds a block's input (its *shortcut*) to the output of two
convolutions, so that the block only has to learn a correction to its input;
``build_block_model`` wraps one block in a model, and ``build_resnet`` stacks
blocks into a classifier.
"""

from __future__ import annotations

import keras
from keras import layers


def residual_block(x, filters: int, stride: int = 1):
    """Apply one basic residual block to the Keras tensor ``x`` (batch, height, width, channels); return its output.

    Main path: ``Conv2D(filters, 3, strides=stride, padding="same")``,
    ``BatchNormalization``, ReLU, ``Conv2D(filters, 3, padding="same")``,
    ``BatchNormalization``.  Shortcut: ``x`` itself when ``stride == 1`` and
    ``x`` already has ``filters`` channels; otherwise a projection,
    ``Conv2D(filters, 1, strides=stride)`` followed by
    ``BatchNormalization``.  The two are added with ``keras.layers.Add`` and
    the sum goes through a ReLU.  The output has shape
    ``(batch, ceil(height / stride), ceil(width / stride), filters)``.
    Raises ``ValueError`` unless ``filters`` and ``stride`` are positive.
    """
    if filters < 1 or stride < 1:
        raise ValueError(f"filters and stride must be positive, got filters={filters}, stride={stride}")
    # BEGIN SOLUTION: two 3x3 convolutions with batch normalization, a shortcut (projected if shapes differ), add, ReLU
    main = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    main = layers.BatchNormalization()(main)
    main = layers.ReLU()(main)
    main = layers.Conv2D(filters, 3, padding="same", use_bias=False)(main)
    main = layers.BatchNormalization()(main)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([main, shortcut]))
    # END SOLUTION


def build_block_model(input_shape: tuple[int, int, int], filters: int, stride: int = 1) -> keras.Model:
    """Return a functional model, ``keras.Input(shape=input_shape)`` to one ``residual_block(inputs, filters, stride)``.

    ``input_shape`` is ``(height, width, channels)``; the model maps
    ``(batch, height, width, channels)`` to ``(batch, ceil(height / stride),
    ceil(width / stride), filters)``.
    """
    # BEGIN SOLUTION: an Input of input_shape, one residual block on it, a keras.Model from one to the other
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, residual_block(inputs, filters, stride), name="residual_block")
    # END SOLUTION


def build_resnet(input_shape: tuple[int, int, int], num_classes: int, blocks: list[tuple[int, int]]) -> keras.Model:
    """Return a ResNet classifier: a stem, one residual block per ``(filters, stride)`` in ``blocks``, a softmax head.

    Stem: ``Conv2D(blocks[0][0], 3, padding="same")``, ``BatchNormalization``,
    ReLU.  Then ``residual_block(x, filters, stride)`` for each pair in
    ``blocks``, in order; then ``GlobalAveragePooling2D`` and
    ``Dense(num_classes, activation="softmax")``.  The model maps ``(batch,
    height, width, channels)`` images to ``(batch, num_classes)``
    probabilities.  It need not be compiled.  Raises ``ValueError`` when
    ``blocks`` is empty.
    """
    if not blocks:
        raise ValueError("blocks must hold at least one (filters, stride) pair")
    # BEGIN SOLUTION: the stem, one residual block per (filters, stride), global average pooling, a Dense softmax
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(blocks[0][0], 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for filters, stride in blocks:
        x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="resnet")
    # END SOLUTION
