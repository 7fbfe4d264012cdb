"""Attention in TensorFlow (seed question 12): scaled dot-product attention and a multi-head attention layer.

``scaled_dot_product_attention`` is the core of every Transformer:
``softmax(q kᵀ / √d_k) v``, with a mask that hides keys from queries.
``MultiHeadAttention`` projects queries, keys and values into several heads,
attends in each head, and merges the heads back, like
``keras.layers.MultiHeadAttention``; the other functions wrap it in a model, load
Keras's weights into it and train it one step.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def scaled_dot_product_attention(q, k, v, mask=None):
    """Return ``(output, weights)`` of scaled dot-product attention, ``softmax(q kᵀ / √d_k) v``.

    ``q`` has shape ``(..., T_q, d_k)``, ``k`` shape ``(..., T_k, d_k)`` and
    ``v`` shape ``(..., T_k, d_v)``, with the same leading (batch, head) axes;
    float32 or float64 (NumPy arrays or tensors).  ``mask``, if given, is
    boolean and broadcasts to ``(..., T_q, T_k)``: ``True`` where a query may
    attend to a key, ``False`` where the key is hidden from it (every query
    keeps at least one key).  ``weights`` has shape ``(..., T_q, T_k)``: each
    row is a softmax over the keys, 0 for hidden keys; ``output`` is
    ``weights @ v``, shape ``(..., T_q, d_v)``.  Both are tensors in the dtype
    of ``q``.  Large logits must not overflow.  Raises ``ValueError`` when
    ``q`` and ``k`` differ in ``d_k`` or ``k`` and ``v`` in ``T_k``.
    """
    # TODO: scores q kᵀ scaled by 1/√d_k, hidden keys pushed to -1e9, softmax over the keys, then @ v
    raise NotImplementedError('Scores q kᵀ scaled by 1/√d_k, hidden keys pushed to -1e9, softmax over the keys, then @ v')


def causal_mask(length: int):
    """Return the ``(length, length)`` boolean mask that lets query ``i`` attend to keys ``0 .. i`` only."""
    # TODO: the lower triangle, diagonal included
    raise NotImplementedError('The lower triangle, diagonal included')


class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention, computing what ``keras.layers.MultiHeadAttention(num_heads, key_dim)`` computes.

    The query, key and value are each projected (with a bias) to ``num_heads``
    heads of ``key_dim`` features; each head attends with
    ``scaled_dot_product_attention``; the heads' outputs are merged and
    projected (with a bias) back to the query's feature size.  Calling the layer
    takes ``query (batch, T_q, query_features)``, ``value (batch, T_k,
    value_features)``, optionally ``key (batch, T_k, key_features)`` (the value
    when omitted) and ``attention_mask (batch, T_q, T_k)`` (True: may attend),
    and returns ``(batch, T_q, query_features)``.
    """

    def __init__(self, num_heads: int, key_dim: int, **kwargs):
        """Keep ``num_heads`` and ``key_dim``, the size of each head; raise ``ValueError`` unless both are positive."""
        super().__init__(**kwargs)
        # TODO: keep the sizes; the weights are made in build, once the input sizes are known
        raise NotImplementedError('Keep the sizes; the weights are made in build, once the input sizes are known')

    def build(self, query_shape, value_shape, key_shape=None):
        """Create the projection weights for inputs of these shapes (the key's is the value's when not given)."""
        # TODO: a kernel (features, heads, key_dim) and a bias (heads, key_dim) per projection
        raise NotImplementedError('A kernel (features, heads, key_dim) and a bias (heads, key_dim) per projection')

    def call(self, query, value, key=None, attention_mask=None):
        """Attend from ``query`` to ``key`` in every head, and return the merged, projected result."""
        # TODO: project into heads (batch, heads, time, key_dim), attend per head, merge, project back
        raise NotImplementedError('Project into heads (batch, heads, time, key_dim), attend per head, merge, project back')


def build_attention_model(query_features: int, value_features: int, key_features: int, num_heads: int,
                          key_dim: int) -> keras.Model:
    """Return a keras.Model ``[query, value, key, mask] -> output`` around one ``MultiHeadAttention`` layer.

    The inputs are ``query (batch, T_q, query_features)``, ``value (batch,
    T_k, value_features)``, ``key (batch, T_k, key_features)`` (float32) and
    ``mask (batch, T_q, T_k)`` (bool, True: may attend), with any lengths
    ``T_q`` and ``T_k``; the output is the layer's, ``(batch, T_q,
    query_features)``.
    """
    # TODO: four keras.Input with a free time axis, one MultiHeadAttention layer
    raise NotImplementedError('Four keras.Input with a free time axis, one MultiHeadAttention layer')


def set_keras_weights(model: keras.Model, weights: dict) -> None:
    """Load the weights of a ``keras.layers.MultiHeadAttention`` into the model's ``MultiHeadAttention`` layer.

    ``weights`` maps ``"query_kernel"`` ``(query_features, num_heads, key_dim)``,
    ``"query_bias"`` ``(num_heads, key_dim)``, ``"key_kernel"``,
    ``"key_bias"``, ``"value_kernel"``, ``"value_bias"`` (the same layout),
    ``"output_kernel"`` ``(num_heads, key_dim, query_features)`` and
    ``"output_bias"`` ``(query_features,)`` to arrays, Keras's own layout.
    Afterwards the model computes what the Keras layer with those weights does.
    """
    # TODO: the layer's variables use Keras's layout, so assign each array to its namesake
    raise NotImplementedError("The layer's variables use Keras's layout, so assign each array to its namesake")


def train_step(model: keras.Model, inputs, target, learning_rate: float) -> float:
    """Take one step of plain gradient descent on the model's mean squared error; return the loss before the step.

    ``inputs`` is ``[query, value, key, mask]`` as ``build_attention_model``
    takes them, ``target`` has the shape of the output.  The loss is the mean of
    ``(model(inputs) - target) ** 2`` over every element; every trainable
    weight ``w`` becomes ``w - learning_rate * dloss/dw`` (SGD without
    momentum).  Returns the loss computed before the update, as a float.
    """
    # TODO: record the forward pass on a GradientTape, then one SGD update of every trainable weight
    raise NotImplementedError('Record the forward pass on a GradientTape, then one SGD update of every trainable weight')
