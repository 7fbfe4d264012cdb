"""Describe objects that stay in the worker as plain data, for the grader to verify.

What these return is the submission's claim about its own objects: this code runs
in the untrusted process, which may have replaced it.  The grader never scores a
claim as it comes; it rebuilds the object in a trusted process and compares its
behaviour with the original's on data of its own (:mod:`harness.grader.keras_models`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_EXPORTERS: dict[str, Callable[[Any], Any]] = {}


def exporter(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Register a function that the grader may ask for by name."""
    _EXPORTERS[function.__name__] = function
    return function


def run(name: str, value: Any) -> Any:
    """Run the exporter called ``name`` on ``value``."""
    try:
        function = _EXPORTERS[name]
    except KeyError:
        raise ValueError(f"unknown exporter {name!r}; known: {sorted(_EXPORTERS)}") from None
    return function(value)


@exporter
def keras_model(model: Any) -> dict:
    """A Keras model as its architecture (JSON text), its weights (arrays) and its compile settings (JSON text)."""
    compile_config = None
    getter = getattr(model, "get_compile_config", None)
    if callable(getter):
        try:
            compile_config = getter()
        except Exception:
            compile_config = None
    return {
        "architecture": model.to_json(),
        "weights": [weight.numpy() if hasattr(weight, "numpy") else weight for weight in model.get_weights()],
        "compile": json.dumps(compile_config, default=_describe_unserialisable) if compile_config else None,
    }


def _describe_unserialisable(value: Any) -> Any:
    serialise = getattr(value, "get_config", None)
    if callable(serialise):
        return {"class_name": type(value).__name__, "config": serialise()}
    return repr(value)
