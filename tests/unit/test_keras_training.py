"""EagerAdam, the grader's fast Adam, moves weights exactly as keras.optimizers.Adam does."""

from __future__ import annotations

import numpy as np
import pytest

from harness.grader.keras_training import EagerAdam


def _model_and_data(seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 2))
    hidden = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    hidden = keras.layers.BatchNormalization()(hidden)
    hidden = keras.layers.Activation("relu")(hidden)
    pooled = keras.layers.GlobalAveragePooling2D()(hidden)
    unused = keras.layers.Dense(2, name="unused")  # built but not on the path: its gradients are None
    unused.build((None, 3))
    outputs = keras.layers.Dense(3, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((4, 16, 6, 6, 2)).astype(np.float32)
    labels = rng.integers(0, 3, size=(4, 16))
    return model, unused, images, labels


def _train(optimizer_kind: str, learning_rate: float, seed: int) -> list[np.ndarray]:
    import keras
    import tensorflow as tf

    model, unused, images, labels = _model_and_data(seed)
    variables = [*model.trainable_variables, *unused.trainable_variables]
    loss_function = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam(learning_rate) if optimizer_kind == "keras" else EagerAdam(learning_rate)
    for batch, batch_labels in zip(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_function(batch_labels, model(batch, training=True))
        gradients = tape.gradient(loss, variables)
        if optimizer_kind == "keras":
            optimizer.apply_gradients([(g, v) for g, v in zip(gradients, variables) if g is not None])
        else:
            optimizer.apply(gradients, variables)
    return [np.array(weight) for weight in [*model.get_weights(), *unused.get_weights()]]


@pytest.mark.slow
@pytest.mark.parametrize("learning_rate", [0.01, 0.3])
def test_eager_adam_matches_keras_adam_bit_for_bit(learning_rate):
    expected, actual = _train("keras", learning_rate, seed=3), _train("eager", learning_rate, seed=3)
    assert len(expected) == len(actual)
    for index, (want, got) in enumerate(zip(expected, actual)):
        assert np.array_equal(want, got), f"weight {index} differs by {np.max(np.abs(want - got))}"


@pytest.mark.slow
def test_eager_adam_moves_weights_with_gradients_only():
    model, unused, _, _ = _model_and_data(seed=3)
    before, unused_before = model.get_weights(), unused.get_weights()
    after = _train("eager", 0.01, seed=3)
    assert not np.array_equal(before[0], after[0]), "the convolution kernel did not move"
    for old, new in zip(unused_before, after[-2:]):  # a layer off the path gets None gradients: left as it was
        assert np.array_equal(old, new)
    assert all(np.isfinite(weight).all() for weight in after)


@pytest.mark.slow
def test_eager_adam_refuses_sparse_gradients():
    import keras
    import tensorflow as tf

    embedding = keras.layers.Embedding(10, 3)
    embedding.build((None, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(embedding(tf.constant([[1, 2, 3, 4]])))
    gradients = tape.gradient(loss, embedding.trainable_variables)
    assert isinstance(gradients[0], tf.IndexedSlices)  # what Keras gives an embedding: the case refused
    with pytest.raises(ValueError, match="IndexedSlices"):
        EagerAdam(0.01).apply(gradients, embedding.trainable_variables)


@pytest.mark.parametrize(
    "arguments", [{"learning_rate": 0.0}, {"learning_rate": -1.0}, {"learning_rate": 0.01, "beta_1": 1.0}]
)
def test_eager_adam_refuses_bad_arguments(arguments):
    with pytest.raises(ValueError):
        EagerAdam(**arguments)
