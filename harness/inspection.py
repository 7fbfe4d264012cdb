"""Helpers the grader may run inside the worker to describe objects that stay there.

These run in the untrusted process, so what they report is only as honest as
that process.  Checks use them for structure (which layers a model has); the
verdicts that matter are based on behaviour the grader measures itself, on data
the worker never sees the answers to.
"""

from __future__ import annotations

from typing import Any, Callable

_INSPECTORS: dict[str, Callable[..., Any]] = {}


def inspector(function: Callable[..., Any]) -> Callable[..., Any]:
    """Register a function that the grader may call by name."""
    _INSPECTORS[function.__name__] = function
    return function


def run(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run the inspector called ``name``."""
    try:
        function = _INSPECTORS[name]
    except KeyError:
        raise ValueError(f"unknown inspector {name!r}; known: {sorted(_INSPECTORS)}") from None
    return function(*args, **kwargs)


def _shape(value: Any) -> list | None:
    shape = getattr(value, "shape", None)
    if shape is None:
        return None
    try:
        return [None if dimension is None else int(dimension) for dimension in shape]
    except TypeError:
        return None


@inspector
def type_name(value: Any) -> str:
    """Return the qualified class name of ``value``."""
    return f"{type(value).__module__}.{type(value).__qualname__}"


@inspector
def model_summary(model: Any) -> dict:
    """Describe a Keras model: its layers, output shape and parameter counts."""
    layers = []
    for layer in _walk_layers(model):
        activation = getattr(layer, "activation", None)
        layers.append({
            "class_name": type(layer).__name__,
            "name": getattr(layer, "name", ""),
            "activation": getattr(activation, "__name__", None) if activation is not None else None,
            "trainable": bool(getattr(layer, "trainable", True)),
            "output_shape": _shape(getattr(layer, "output", None)) if _has_output(layer) else None,
            "parameters": int(layer.count_params()) if getattr(layer, "built", False) else 0,
        })
    outputs = getattr(model, "outputs", None) or []
    return {
        "class_name": type(model).__name__,
        "layers": layers,
        "output_shape": _shape(outputs[0]) if len(outputs) == 1 else None,
        "input_shape": _shape((getattr(model, "inputs", None) or [None])[0]),
        "trainable_parameters": int(sum(int(_size(weight)) for weight in getattr(model, "trainable_weights", []))),
        "parameters": int(sum(int(_size(weight)) for weight in getattr(model, "weights", []))),
        "loss": _loss_name(model),
        "compiled": bool(getattr(model, "compiled", False) or getattr(model, "optimizer", None) is not None),
    }


def _walk_layers(model: Any):
    """Yield every layer of a model, descending into nested models (a Sequential inside a Model)."""
    for layer in getattr(model, "layers", []):
        yield layer
        if getattr(layer, "layers", None):
            yield from _walk_layers(layer)


def _has_output(layer: Any) -> bool:
    try:
        layer.output  # noqa: B018 - raises for layers that were never called
        return True
    except Exception:
        return False


def _size(weight: Any) -> int:
    size = 1
    for dimension in getattr(weight, "shape", ()):
        size *= int(dimension)
    return size


def _loss_name(model: Any) -> str | None:
    loss = getattr(model, "loss", None)
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


@inspector
def keras_weights(model: Any) -> list:
    """Return a Keras model's weights as NumPy arrays."""
    return [weight.numpy() if hasattr(weight, "numpy") else weight for weight in model.get_weights()]


@inspector
def gradients_of_sum(function_name: str, *args: Any) -> list:
    """Differentiate the sum of the submission's ``function_name(*args)`` with respect to each argument.

    Each argument becomes a float32 tensor watched by a ``tf.GradientTape``; the
    function is called on those tensors.  Returns one gradient per argument, as a
    NumPy array, or ``None`` where no gradient reaches that argument (the function
    left TensorFlow, e.g. through NumPy, or ignored it).
    """
    import sys

    import tensorflow as tf

    # The worker imports the candidate's module as "submission" (harness.worker.SUBMISSION_MODULE_NAME);
    # importing harness.worker here would load it a second time, since the worker runs as __main__.
    function = getattr(sys.modules.get("submission"), function_name, None)
    if not callable(function):
        raise AttributeError(f"the submission defines no function named {function_name!r}")
    tensors = [tf.convert_to_tensor(arg, dtype=tf.float32) for arg in args]
    with tf.GradientTape() as tape:
        for tensor in tensors:
            tape.watch(tensor)
        total = tf.reduce_sum(tf.cast(function(*tensors), tf.float32))
    return [None if gradient is None else gradient.numpy() for gradient in tape.gradient(total, tensors)]
