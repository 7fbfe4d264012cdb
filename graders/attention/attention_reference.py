"""The attention grader's references: scaled dot-product and multi-head attention in float64 NumPy.

Everything is written out by hand in NumPy, in float64, in the grader's process:

- scaled dot-product attention, ``softmax(q kᵀ / √d_k) v`` with hidden keys at -inf;
- ``NumpyMultiHeadAttention``, the computation of ``keras.layers.MultiHeadAttention``
  (Keras's weight layout: kernels ``(features, heads, key_dim)`` and
  ``(heads, key_dim, features)``), with its backward pass written out so that
  one plain gradient-descent step can be compared with the candidate's.

The multi-head formulas were checked against ``keras.layers.MultiHeadAttention`` in float64
(agreement to about 1e-15) when this grader was written. Inputs are random: every generator comes from
the check's ``rng`` (the run's secret).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.checks import expect_finite, expect_shape, expect_type

WEIGHT_NAMES = ("query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias")
WEIGHT_NAMES += ("output_kernel", "output_bias")  # the order of keras.layers.MultiHeadAttention.get_weights()


def _softmax_rows(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in float64, where ``allowed`` is False the probability is exactly 0."""
    shifted = np.where(allowed, scores, -np.inf)
    shifted = shifted - np.max(shifted, axis=-1, keepdims=True)  # grader values only: every row keeps a key
    exponentials = np.exp(shifted)
    return exponentials / np.sum(exponentials, axis=-1, keepdims=True)


def reference_attention(q, k, v, mask=None) -> tuple[np.ndarray, np.ndarray]:
    """(output, weights) of scaled dot-product attention in float64, for any leading axes and a broadcast mask."""
    q, k, v = (np.asarray(array, dtype=np.float64) for array in (q, k, v))
    scores = np.einsum("...qd,...kd->...qk", q, k) * (1.0 / np.sqrt(q.shape[-1]))
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    probabilities = _softmax_rows(scores, np.broadcast_to(allowed, scores.shape))
    return np.einsum("...qk,...kd->...qd", probabilities, v), probabilities


def random_weights(
    rng: np.random.Generator, features: tuple[int, int, int], num_heads: int, key_dim: int, *, logit_scale: float = 1.0
) -> dict[str, np.ndarray]:
    """Keras-layout weights for (query, value, key) features; ``logit_scale`` multiplies the query and key kernels."""
    query_features, value_features, key_features = features
    heads = (num_heads, key_dim)

    def kernel(fan_in: int, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
        return (rng.normal(0.0, scale / np.sqrt(fan_in), size=shape)).astype(np.float32)

    return {
        "query_kernel": kernel(query_features, (query_features, *heads), logit_scale),
        "query_bias": (0.1 * rng.normal(size=heads)).astype(np.float32),
        "key_kernel": kernel(key_features, (key_features, *heads), logit_scale),
        "key_bias": (0.1 * rng.normal(size=heads)).astype(np.float32),
        "value_kernel": kernel(value_features, (value_features, *heads)),
        "value_bias": (0.1 * rng.normal(size=heads)).astype(np.float32),
        "output_kernel": kernel(num_heads * key_dim, (*heads, query_features)),
        "output_bias": (0.1 * rng.normal(size=query_features)).astype(np.float32),
    }


def random_inputs(
    rng: np.random.Generator, features: tuple[int, int, int], *, batch: int, queries: int, keys: int, mask: str = "all"
) -> list[np.ndarray]:
    """``[query, value, key, mask]`` for the attention model; mask "all" (True), "random" or "causal"."""
    query_features, value_features, key_features = features
    arrays = [
        rng.normal(size=(batch, length, size)).astype(np.float32)
        for length, size in ((queries, query_features), (keys, value_features), (keys, key_features))
    ]
    if mask == "all":
        allowed = np.ones((batch, queries, keys), dtype=bool)
    elif mask == "causal":
        allowed = np.broadcast_to(np.tril(np.ones((queries, keys), dtype=bool)), (batch, queries, keys)).copy()
    else:
        allowed = rng.uniform(size=(batch, queries, keys)) < 0.6
        allowed[np.arange(batch)[:, None], np.arange(queries)[None, :], rng.integers(0, keys, (batch, queries))] = True
    return arrays + [allowed]


class NumpyMultiHeadAttention:
    """keras.layers.MultiHeadAttention (no dropout) in float64 NumPy, with its gradient for plain SGD."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.parameters = {name: np.array(weights[name], dtype=np.float64) for name in WEIGHT_NAMES}

    def forward(self, inputs: list[np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The output for ``[query, value, key, mask]`` and the intermediate arrays the backward pass needs."""
        query, value, key = (np.asarray(array, dtype=np.float64) for array in inputs[:3])
        p = self.parameters
        projected = {
            name: np.einsum("btf,fhd->bhtd", source, p[f"{name}_kernel"]) + p[f"{name}_bias"][:, np.newaxis, :]
            for name, source in (("query", query), ("key", key), ("value", value))
        }
        inverse_scale = 1.0 / np.sqrt(p["query_kernel"].shape[-1])
        scores = np.einsum("bhqd,bhkd->bhqk", projected["query"], projected["key"]) * inverse_scale
        probabilities = _softmax_rows(scores, np.asarray(inputs[3], dtype=bool)[:, np.newaxis])
        heads = np.einsum("bhqk,bhkd->bhqd", probabilities, projected["value"])
        output = np.einsum("bhqd,hdf->bqf", heads, p["output_kernel"]) + p["output_bias"]
        cache = dict(projected, query_input=query, key_input=key, value_input=value)
        cache.update(probabilities=probabilities, heads=heads, inverse_scale=inverse_scale)
        return output, cache

    def gradients(self, cache: dict[str, Any], output_gradient: np.ndarray) -> dict[str, np.ndarray]:
        """The gradient of every weight, given the gradient of the loss with respect to the output."""
        p, probabilities = self.parameters, cache["probabilities"]
        found = {"output_bias": output_gradient.sum(axis=(0, 1))}
        found["output_kernel"] = np.einsum("bhqd,bqf->hdf", cache["heads"], output_gradient)
        head_gradient = np.einsum("bqf,hdf->bhqd", output_gradient, p["output_kernel"])
        probability_gradient = np.einsum("bhqd,bhkd->bhqk", head_gradient, cache["value"])
        score_gradient = probabilities * (
            probability_gradient - np.sum(probability_gradient * probabilities, axis=-1, keepdims=True)
        )
        projected_gradients = {
            "value": np.einsum("bhqk,bhqd->bhkd", probabilities, head_gradient),
            "query": np.einsum("bhqk,bhkd->bhqd", score_gradient, cache["key"]) * cache["inverse_scale"],
            "key": np.einsum("bhqk,bhqd->bhkd", score_gradient, cache["query"]) * cache["inverse_scale"],
        }
        for name, gradient in projected_gradients.items():
            found[f"{name}_kernel"] = np.einsum("btf,bhtd->fhd", cache[f"{name}_input"], gradient)
            found[f"{name}_bias"] = gradient.sum(axis=(0, 2))
        return found


def trusted_layer(weights: dict[str, np.ndarray], num_heads: int, key_dim: int) -> NumpyMultiHeadAttention:
    """A float64 NumPy multi-head attention holding ``weights`` (their shapes give ``num_heads`` and ``key_dim``)."""
    if weights["query_kernel"].shape[1:] != (num_heads, key_dim):
        raise RuntimeError("weights drawn for other head sizes: a bug in the grader")
    return NumpyMultiHeadAttention(weights)


def trusted_output(layer: NumpyMultiHeadAttention, inputs: list[np.ndarray]) -> np.ndarray:
    """What the trusted layer computes for ``[query, value, key, mask]``, in float64."""
    return layer.forward(inputs)[0]


def trusted_step(layer: NumpyMultiHeadAttention, inputs: list[np.ndarray], target: np.ndarray, rate: float) -> float:
    """Move the trusted layer one plain gradient-descent step down its mean squared error; return the loss before."""
    output, cache = layer.forward(inputs)
    residual = output - np.asarray(target, dtype=np.float64)
    gradients = layer.gradients(cache, 2.0 * residual / residual.size)
    for name, gradient in gradients.items():
        layer.parameters[name] -= rate * gradient
    return float(np.mean(residual**2))


def model_output(model: Any, inputs: list[np.ndarray], *, what: str, hint: str) -> np.ndarray:
    """The candidate's model's output for ``inputs`` (predict_on_batch), of shape (batch, T_q, query features)."""
    query = inputs[0]
    output = expect_shape(model.predict_on_batch(inputs), query.shape, what=what, hint=hint)
    return expect_finite(output, what=what, hint=hint).astype(np.float64)


def read_attention(
    result: Any, output_shape: tuple[int, ...], weights_shape: tuple[int, ...], *, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(output, weights)`` pair returned by scaled_dot_product_attention, as float64 arrays, or fail."""
    pair = expect_type(result, (list, tuple), what=what, hint="return (output, weights)")
    output = expect_shape(
        pair[0] if len(pair) > 0 else None,
        output_shape,
        what=f"the output of {what}",
        hint="weights @ v: shape (..., T_q, d_v)",
    )
    weights = expect_shape(
        pair[1] if len(pair) > 1 else None,
        weights_shape,
        what=f"the weights of {what}",
        hint="the softmax of the scores: shape (..., T_q, T_k)",
    )
    return (
        expect_finite(output, what=f"the output of {what}").astype(np.float64),
        expect_finite(weights, what=f"the weights of {what}").astype(np.float64),
    )


def log10_error(error: float) -> float:
    """log10 of a relative error, -17 for an exact 0 (so that calibration can record it)."""
    return float(np.log10(error)) if error > 0 else -17.0
