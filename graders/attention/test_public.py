"""Public checks of attention: scaled dot-product attention, masks, and the multi-head layer against Keras's own.

Every input is drawn from the check's ``rng`` (the run's secret); every reference
is computed in float64 NumPy in the grader's process (``attention_reference.py``),
the multi-head one being what ``keras.layers.MultiHeadAttention`` computes.
"""

from __future__ import annotations

import numpy as np
import pytest
from attention_checks import expect_matches, measure_worst
from attention_reference import (
    model_output,
    random_inputs,
    random_weights,
    read_attention,
    reference_attention,
    trusted_layer,
    trusted_output,
    trusted_step,
)

from harness.checks import (
    expect_close,
    expect_dtype,
    expect_in_range,
    expect_probabilities,
    expect_raises_in_submission,
    expect_scalar_close,
    expect_unchanged,
)

SDPA_HINT = "the scores q kᵀ, the scale 1/√d_k, the softmax over the keys (the last axis) and weights @ v"
# (leading axes, T_q, T_k, d_k, d_v): a batch; a batch of heads; one query per item.
SHAPES = [((2,), 5, 7, 4, 3), ((2, 3), 4, 6, 8, 5), ((3,), 1, 5, 6, 6)]
MODEL_HINT = (
    "the projections into heads (kernels of shape (features, heads, key_dim)), the attention in each head, "
    "and the merge of the heads through the output kernel (heads, key_dim, features)"
)


def _random(rng, leading, queries, keys, key_size, value_size):
    shapes = ((*leading, queries, key_size), (*leading, keys, key_size), (*leading, keys, value_size))
    return [rng.normal(size=shape).astype(np.float32) for shape in shapes]


def _attend(submission, q, k, v, mask=None, *, what: str):
    """Call the candidate's scaled_dot_product_attention and read (output, weights) as float64."""
    result = (
        submission.scaled_dot_product_attention(q, k, v)
        if mask is None
        else submission.scaled_dot_product_attention(q, k, v, mask)
    )
    return read_attention(result, (*q.shape[:-1], v.shape[-1]), (*q.shape[:-1], k.shape[-2]), what=what)


@pytest.mark.points(3)
def test_attention_matches_reference(submission, rng, measure):
    """scaled_dot_product_attention matches a float64 reference on secret batched shapes (output and weights)."""
    errors = []
    for leading, queries, keys, key_size, value_size in SHAPES:
        q, k, v = _random(rng, leading, queries, keys, key_size, value_size)
        what = f"scaled_dot_product_attention(q, k, v) for q {q.shape}, k {k.shape}, v {v.shape}"
        output, weights = _attend(submission, q, k, v, what=what)
        expected_output, expected_weights = reference_attention(q, k, v)
        errors.append(expect_matches(weights, expected_weights, what=f"the weights of {what}", hint=SDPA_HINT))
        errors.append(expect_matches(output, expected_output, what=f"the output of {what}", hint=SDPA_HINT))
    measure_worst(measure, "log10 relative error", errors)


@pytest.mark.points(1)
def test_weights_are_distributions(submission, rng):
    """Every row of the attention weights is a probability distribution over the keys, with and without a mask."""
    q, k, v = _random(rng, (4,), 6, 9, 5, 3)
    mask = rng.uniform(size=(4, 6, 9)) < 0.5
    mask[..., 0] = True
    for given, label in ((None, "no mask"), (mask, "a random mask")):
        what = f"the weights of scaled_dot_product_attention(q, k, v) with {label}"
        _, weights = _attend(submission, q, k, v, given, what=what)
        expect_probabilities(weights, what=what, atol=1e-5, hint="the softmax over the keys (axis=-1)")


@pytest.mark.points(2)
def test_padding_mask(submission, rng):
    """A padding mask (batch, 1, T_k) hides keys: they get weight 0, and their values do not change the output."""
    q, k, v = _random(rng, (3,), 5, 8, 4, 6)
    lengths = rng.integers(2, 8, size=3)
    mask = np.arange(8)[None, None, :] < lengths[:, None, None]  # (3, 1, 8): key j exists when j < length
    what = f"scaled_dot_product_attention(q, k, v, mask) with a padding mask of lengths {lengths.tolist()}"
    output, weights = _attend(submission, q, k, v, mask, what=what)
    hidden = np.broadcast_to(~mask, weights.shape)
    expect_in_range(
        weights[hidden],
        0.0,
        1e-6,
        what=f"the weights of the hidden keys in {what}",
        hint="mask == False means hidden: give those scores a large negative value before the softmax",
    )
    expected_output, expected_weights = reference_attention(q, k, v, mask)
    expect_matches(weights, expected_weights, what=f"the weights of {what}", hint=SDPA_HINT)
    expect_matches(output, expected_output, what=f"the output of {what}", hint=SDPA_HINT)
    changed = v.copy()
    changed[np.broadcast_to(~mask[:, 0, :, None], v.shape)] = 1e3
    again, _ = _attend(submission, q, k, changed, mask, what=f"{what}, with other values at the hidden keys")
    expect_unchanged(
        [output],
        [again],
        at_most=1e-4,
        what=f"the output of {what} when the hidden keys' values change",
        hint="hidden keys must get exactly no weight",
    )


@pytest.mark.points(2)
def test_causal_mask(submission, rng):
    """causal_mask(T) lets query i see keys 0..i; with it, attention ignores the future."""
    for length in (5, 8):
        mask = expect_dtype(
            submission.causal_mask(length),
            np.bool_,
            what=f"causal_mask({length})",
            hint="a boolean tensor, e.g. tf.linalg.band_part of ones",
        )
        expect_close(
            mask.astype(np.float64),
            np.tril(np.ones((length, length))),
            rtol=0.0,
            atol=0.0,
            what=f"causal_mask({length})",
            hint="True on and below the diagonal: query i sees keys 0..i",
        )
    q, k, v = _random(rng, (2,), 8, 8, 4, 4)
    mask = np.tril(np.ones((8, 8), dtype=bool))
    what = "scaled_dot_product_attention(q, k, v, causal_mask(8))"
    output, weights = _attend(submission, q, k, v, mask, what=what)
    expect_in_range(
        weights[:, ~mask],
        0.0,
        1e-6,
        what=f"the weights above the diagonal in {what}",
        hint="mask == False means hidden",
    )
    expected_output, expected_weights = reference_attention(q, k, v, mask)
    expect_matches(weights, expected_weights, what=f"the weights of {what}", hint=SDPA_HINT)
    expect_matches(output, expected_output, what=f"the output of {what}", hint=SDPA_HINT)


@pytest.mark.points(1)
def test_bad_arguments(submission, rng):
    """Mismatched shapes raise ValueError: q and k with different d_k, k and v with different T_k."""
    q, k, v = _random(rng, (2,), 3, 4, 5, 6)
    expect_raises_in_submission(
        lambda: submission.scaled_dot_product_attention(q, k[..., :4], v),
        accepted=("ValueError",),
        hint="comparing q and k's last axes",
        what=f"scaled_dot_product_attention with q {q.shape} and k {k[..., :4].shape}",
    )
    expect_raises_in_submission(
        lambda: submission.scaled_dot_product_attention(q, k, v[:, :3]),
        accepted=("ValueError",),
        hint="comparing k and v's T_k",
        what=f"scaled_dot_product_attention with k {k.shape} and v {v[:, :3].shape}",
    )


FEATURES = (12, 10, 6)  # query, value and key features: all different, so that no projection can be confused
HEADS, KEY_DIM = 3, 4


@pytest.mark.points(3)
def test_multi_head_matches_keras(submission, rng, measure):
    """The multi-head model, given Keras's weights, computes what keras.layers.MultiHeadAttention computes."""
    model = submission.build_attention_model(*FEATURES, HEADS, KEY_DIM)
    weights = random_weights(rng, FEATURES, HEADS, KEY_DIM)
    submission.set_keras_weights(model, weights)
    trusted = trusted_layer(weights, HEADS, KEY_DIM)
    errors = []
    for batch, queries, keys in ((2, 5, 7), (3, 4, 4)):
        inputs = random_inputs(rng, FEATURES, batch=batch, queries=queries, keys=keys)
        what = (
            f"build_attention_model{(*FEATURES, HEADS, KEY_DIM)}.predict_on_batch([query, value, key, mask]) "
            f"for T_q={queries}, T_k={keys}, every key allowed"
        )
        found = model_output(model, inputs, what=what, hint=MODEL_HINT)
        errors.append(
            expect_matches(
                found, trusted_output(trusted, inputs), what=what, hint=f"{MODEL_HINT}, and set_keras_weights"
            )
        )
    measure_worst(measure, "log10 relative error", errors)


@pytest.mark.points(2)
def test_train_step_matches_keras(submission, rng, measure):
    """train_step returns the loss and takes the gradient step that Keras's MultiHeadAttention takes."""
    model = submission.build_attention_model(*FEATURES, HEADS, KEY_DIM)
    weights = random_weights(rng, FEATURES, HEADS, KEY_DIM)
    submission.set_keras_weights(model, weights)
    trusted = trusted_layer(weights, HEADS, KEY_DIM)
    inputs = random_inputs(rng, FEATURES, batch=3, queries=5, keys=6, mask="random")
    target = rng.normal(size=(3, 5, FEATURES[0])).astype(np.float32)
    learning_rate = 0.05
    call = f"train_step(model, inputs, target, learning_rate={learning_rate})"
    loss = submission.train_step(model, inputs, target, learning_rate)
    expected_loss = trusted_step(trusted, inputs, target, learning_rate)
    expect_scalar_close(
        loss,
        expected_loss,
        rtol=1e-4,
        what=f"the loss {call} returns",
        hint="the mean of (model(inputs) - target) ** 2, computed before the update",
    )
    probe = random_inputs(rng, FEATURES, batch=2, queries=4, keys=5, mask="random")
    what = f"the model's output on fresh inputs after {call}"
    found = model_output(model, probe, what=what, hint="the update w - learning_rate * gradient")
    error = expect_matches(
        found,
        trusted_output(trusted, probe),
        what=what,
        hint="the gradient of the mean squared error with respect to every weight, and the update "
        "w - learning_rate * gradient (SGD without momentum)",
    )
    measure_worst(measure, "log10 relative error after one step", [error])
