"""Transfer learning in Keras 3 (seed questions 15 and 20): reuse a pretrained base, train a head, fine-tune.

``build_transfer_model`` rebuilds a pretrained base from its config and
weights, freezes it and puts a new softmax head on it; ``train_head`` trains
that head (phase 1); ``fine_tune`` unfreezes the top layers of the base and
trains again with a lower learning rate (phase 2).

In Keras 3 a BatchNormalization layer runs in inference mode (it normalises
with its moving statistics and never updates them) exactly when it is not
trainable.  Calling the base with ``training=False`` does not keep it there:
``fit`` calls the model with ``training=True`` and Keras passes that on to the
nested base.  So ``fine_tune`` keeps every BatchNormalization layer frozen.
"""

from __future__ import annotations

import keras
from keras import layers

BATCH_SIZE = 32  # Keras's default, named in the contract: the grader counts optimizer steps with it


def build_transfer_model(base_json: str, base_weights: list, num_classes: int) -> keras.Model:
    """Return an uncompiled model: the frozen pretrained base under a new softmax head of ``num_classes`` units.

    ``base_json`` is the base's architecture as ``model.to_json()`` text (a
    ``keras.Sequential`` of built-in layers that maps ``(batch, features)``
    float32 inputs to ``(batch, width)`` features), ``base_weights`` its
    ``get_weights()`` arrays.  Rebuild the base with exactly these weights
    (its layers keep the names in ``base_json``) and freeze it: no weight of
    the base is trainable.  The model maps ``(batch, features)`` to
    ``(batch, num_classes)`` class probabilities (a Dense softmax output
    layer); its only trainable weights are the head's.  Use Keras's built-in
    layers with the Sequential or functional API (the grader rebuilds the
    model from its config to check it).
    """
    # BEGIN SOLUTION: rebuild the base from base_json, load base_weights, freeze it, add a Dense softmax head
    pretrained = keras.models.model_from_json(base_json)
    pretrained.set_weights(base_weights)
    pretrained.trainable = False
    inputs = keras.Input(shape=pretrained.input_shape[1:])
    features = pretrained(inputs)
    outputs = layers.Dense(num_classes, activation="softmax", name="head")(features)
    return keras.Model(inputs, outputs, name="transfer_model")
    # END SOLUTION


def train_head(model: keras.Model, x, y, epochs: int, learning_rate: float) -> dict:
    """Phase 1: train the head of ``model`` (from ``build_transfer_model``) in place; return the per-epoch history.

    ``x`` has shape ``(n, features)`` (float32), ``y`` shape ``(n,)`` with
    integer labels ``0 .. num_classes - 1``.  Compile the model with
    ``keras.optimizers.Adam(learning_rate)`` and a loss for integer labels on
    probabilities (``keras.losses.SparseCategoricalCrossentropy()``), then
    fit it for exactly ``epochs`` epochs in mini-batches of 32 (Keras's
    default).  The base stays frozen: its weights do not change.  Return the
    dict Keras records (``model.fit(...).history``), with a ``"loss"`` list of
    one number per epoch.
    """
    # BEGIN SOLUTION: compile with Adam at this learning rate and sparse categorical cross-entropy, then fit
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    fitted = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    return fitted.history
    # END SOLUTION


def fine_tune(model: keras.Model, x, y, num_layers: int, epochs: int, learning_rate: float) -> dict:
    """Phase 2: unfreeze the top ``num_layers`` layers of the base, train in place; return the per-epoch history.

    ``model`` comes from ``build_transfer_model`` (and usually ``train_head``).
    The top layers are the last ``num_layers`` entries of the base's
    ``layers`` list; raise ``ValueError`` unless ``1 <= num_layers <=
    len(base.layers)``.  Among them, every BatchNormalization layer stays
    frozen (``trainable = False``, which in Keras 3 keeps it in inference
    mode: it keeps its moving statistics); every other layer of the base
    stays frozen too.  Recompile (a change of ``trainable`` takes effect at
    ``compile``) with a new ``keras.optimizers.Adam(learning_rate)`` and the
    same loss, and fit for exactly ``epochs`` epochs in mini-batches of 32.
    Return the dict Keras records, with a ``"loss"`` list of one number per
    epoch.
    """
    # BEGIN SOLUTION: unfreeze the top layers of the base but BatchNormalization, compile again with Adam, fit
    pretrained = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    if not 1 <= num_layers <= len(pretrained.layers):
        raise ValueError(f"num_layers must be between 1 and {len(pretrained.layers)}, got {num_layers}")
    pretrained.trainable = True
    first_unfrozen = len(pretrained.layers) - num_layers
    for index, layer in enumerate(pretrained.layers):
        is_normalization = isinstance(layer, layers.BatchNormalization)
        layer.trainable = index >= first_unfrozen and not is_normalization
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    fitted = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    return fitted.history
    # END SOLUTION
