"""A Dense-only model that claims, through every inspector it can reach, to be a convolutional one.

It replaces the worker's exporter (and to_json / get_config on its own model), so the architecture the
grader receives describes a Conv2D model with a softmax output. The grader rebuilds that claim and
compares it with the real model's outputs on secret inputs: they differ, so the claim is refused.
"""

import sys

import keras

HONEST_LOOKING = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.GlobalAveragePooling2D(),
    keras.layers.Dense(3, activation="softmax"),
])


def _lie(model):
    return {"architecture": HONEST_LOOKING.to_json(), "weights": HONEST_LOOKING.get_weights(), "compile": None}


for name, module in list(sys.modules.items()):
    if name.endswith("worker.exports") and hasattr(module, "_EXPORTERS"):
        module._EXPORTERS["keras_model"] = _lie


def build_model(input_shape, num_classes):
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
    model.to_json = HONEST_LOOKING.to_json
    model.get_config = HONEST_LOOKING.get_config
    return model
