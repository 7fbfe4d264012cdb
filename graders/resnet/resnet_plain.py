"""The same network without its shortcuts: the grader's own rewiring of a verified functional model.

Every ``Add`` layer of two inputs joins a block's main path and its shortcut.
The main path is the input that lies deeper in the graph (more layers from the
model's input: two convolutions against none, for an identity shortcut, or
one, for a projection).  ``without_shortcuts`` replaces each such ``Add`` by an
``Identity`` layer on the main path alone, rebuilds the model from the edited
configuration and copies the weights of every layer that remains, by name.
"""

from __future__ import annotations

import json
from typing import Any

from harness.checks import CheckFailed


def _histories(node: Any) -> list[list]:
    """Every ``keras_history`` ([layer name, node index, tensor index]) inside a node's arguments, in order."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return [node["config"]["keras_history"]]
        return [history for value in node.values() for history in _histories(value)]
    if isinstance(node, list):
        return [history for value in node for history in _histories(value)]
    return []


def _tensors(node: Any) -> list[dict]:
    """Every Keras tensor description inside a node's arguments, in order."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            return [node]
        return [tensor for value in node.values() for tensor in _tensors(value)]
    if isinstance(node, list):
        return [tensor for value in node for tensor in _tensors(value)]
    return []


def shortcut_count(model: Any) -> int:
    """The number of Add layers of two inputs in a (verified) model."""
    return sum(1 for layer in model.layers if type(layer).__name__ == "Add" and len(layer.input) == 2)


def without_shortcuts(model: Any) -> Any:
    """Return a copy of the functional ``model`` whose Add layers pass on their main path only (weights copied)."""
    import keras

    config = json.loads(model.to_json())
    entries = config["config"]["layers"]
    depth: dict[str, int] = {}
    for entry in entries:
        parents = [history[0] for node in entry.get("inbound_nodes", []) for history in _histories(node)]
        depth[entry["name"]] = 1 + max((depth.get(parent, 0) for parent in parents), default=-1)  # grader values only
        if entry["class_name"] != "Add":
            continue
        tensors = [tensor for node in entry["inbound_nodes"] for tensor in _tensors(node)]
        if len(tensors) != 2:
            continue
        depths = [depth.get(tensor["config"]["keras_history"][0], 0) for tensor in tensors]
        if depths[0] == depths[1]:
            raise CheckFailed(
                f"the Add layer {entry['name']!r} joins two paths of the same depth, so the grader cannot "
                "tell the block's main path (two convolutions) from its shortcut. Look at residual_block."
            )
        main = tensors[0] if depths[0] > depths[1] else tensors[1]
        entry.update(
            {
                "module": "keras.layers",
                "class_name": "Identity",
                "registered_name": None,
                "config": {"name": entry["name"], "trainable": True, "dtype": entry["config"].get("dtype")},
                "inbound_nodes": [{"args": [main], "kwargs": {}}],
            }
        )
        entry.pop("build_config", None)
    plain = keras.models.model_from_json(json.dumps(config))
    originals = {layer.name: layer for layer in model.layers}
    for layer in plain.layers:
        if layer.weights:
            layer.set_weights(originals[layer.name].get_weights())
    return plain
