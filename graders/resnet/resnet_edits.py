"""Edits the grader makes to its own trusted copies of verified models, and what it then computes with them.

``neutralised`` copies a model, zeroes the kernels (and biases) of chosen ``Conv2D`` layers and
makes every ``BatchNormalization`` the identity at inference (scale 1, offset 0,
moving mean 0, moving variance 1 - epsilon), so that what is left of a block
is its skeleton: with every kernel zeroed, a post-activation residual block
computes ``relu(shortcut)`` exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def conv_layers(model: Any) -> list[Any]:
    """The Conv2D layers of a (verified) model, in order."""
    return [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]


def class_count(model: Any, name: str) -> int:
    """How many layers of class ``name`` the model has."""
    return sum(1 for layer in model.layers if type(layer).__name__ == name)


def is_pointwise(layer: Any) -> bool:
    """Whether a Conv2D layer has a 1x1 kernel (a projection)."""
    return tuple(layer.kernel_size) == (1, 1)


def trusted_copy(model: Any) -> Any:
    """Return a copy of a verified functional model, with its weights, for the grader to edit."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def neutralised(model: Any, zero: Callable[[Any], bool]) -> Any:
    """Return a copy of ``model``: Conv2D layers where ``zero(layer)`` holds zeroed, BatchNormalization the identity."""
    model = trusted_copy(model)
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D" and zero(layer):
            for weight in layer.weights:
                weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
        elif kind == "BatchNormalization":
            # moving variance + epsilon = 1: the identity at inference, and no 0/0 in training mode on zeros
            settings = (("gamma", 1.0), ("beta", 0.0), ("moving_mean", 0.0), ("moving_variance", 1.0 - layer.epsilon))
            for name, value in settings:
                weight = getattr(layer, name, None)
                if weight is not None:
                    weight.assign(np.full(weight.shape, value, dtype=weight.dtype))
    return model


def eager_outputs(model: Any, inputs: np.ndarray, *, training: bool = False) -> np.ndarray:
    """The model's outputs on ``inputs``, called directly (not through a traced predict function), as float64."""
    return np.asarray(model(inputs, training=training), dtype=np.float64)


def projection_output(layer: Any, inputs: np.ndarray) -> np.ndarray:
    """What ``relu(layer(inputs))`` is for a 1x1 Conv2D ``layer``, computed here in float64 from its weights."""
    stride_rows, stride_columns = layer.strides
    sampled = inputs[:, ::stride_rows, ::stride_columns, :].astype(np.float64)
    kernel = np.asarray(layer.kernel, dtype=np.float64)[0, 0]
    projected = sampled @ kernel
    if layer.use_bias:
        projected = projected + np.asarray(layer.bias, dtype=np.float64)
    return np.maximum(projected, 0.0)
