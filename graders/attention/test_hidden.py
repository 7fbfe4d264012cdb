"""Hidden checks of attention: the 1/√d_k scale, large scores, float64 inputs, masked heads, a step at large scores."""

from __future__ import annotations

import numpy as np
import pytest
from attention_checks import FLOAT64_TOLERANCE, expect_matches, measure_worst
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

from harness.checks import expect_dtype, expect_scalar_close

SCALE_HINT = (
    "the scale of the scores: divide q kᵀ by √d_k (not d_k, not 1); without it the softmax saturates "
    "(one weight near 1) as d_k grows"
)
# A logit scale of 8 on both the query and the key kernels multiplies the scores by 64: their standard deviation
# is about 60, far beyond exp's float32 range (exp(89) overflows), so an attention that does not subtract the
# row's largest score before exp gives inf / inf = NaN.
LARGE_LOGIT_SCALE = 8.0
OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM = (8, 5, 7), 2, 6


def _attend(submission, q, k, v, mask=None, *, what: str):
    result = (
        submission.scaled_dot_product_attention(q, k, v)
        if mask is None
        else submission.scaled_dot_product_attention(q, k, v, mask)
    )
    return read_attention(result, (*q.shape[:-1], v.shape[-1]), (*q.shape[:-1], k.shape[-2]), what=what)


@pytest.mark.points(2)
def test_scaling_by_sqrt_dk(submission, rng, measure):
    """The scores are scaled by 1/√d_k: for unit-normal q and k the weights stay spread out as d_k grows."""
    for key_size in (1, 64, 256):
        q = rng.normal(size=(4, 6, key_size)).astype(np.float32)
        k = rng.normal(size=(4, 16, key_size)).astype(np.float32)
        v = rng.normal(size=(4, 16, 3)).astype(np.float32)
        what = f"the weights of scaled_dot_product_attention for d_k = {key_size} (16 keys, unit-normal q and k)"
        _, weights = _attend(submission, q, k, v, what=what)
        _, expected = reference_attention(q, k, v)
        measure(f"mean largest weight, d_k={key_size}", float(np.mean(np.max(weights, axis=-1))))
        expect_matches(weights, expected, what=what, hint=SCALE_HINT)


def _decisive_large_scores(rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q and k (scaled by 40) and a mask whose scaled scores separate every row's best allowed key by at least 50.

    Such rows are one-hot in float32 and float64 alike (e^-50 is below float32 precision), whatever the scale:
    this check is about overflow only, and leaves the scale to test_scaling_by_sqrt_dk.
    """
    for _ in range(200):
        q = (40.0 * rng.normal(size=(2, 5, 8))).astype(np.float32)
        k = (40.0 * rng.normal(size=(2, 7, 8))).astype(np.float32)
        mask = rng.uniform(size=(2, 5, 7)) < 0.7
        mask[..., 3] = True
        scores = np.where(mask, q.astype(np.float64) @ np.swapaxes(k, -1, -2) / np.sqrt(8.0), -np.inf)
        best_two = np.sort(scores, axis=-1)[..., -2:]
        if np.all(best_two[..., 1] - best_two[..., 0] >= 50.0):
            return q, k, mask
    raise RuntimeError("no decisive large scores drawn: a bug in the grader")


@pytest.mark.points(1)
def test_large_logits(submission, rng):
    """Scores in the hundreds do not overflow: the weights stay finite and equal the reference (one-hot)."""
    q, k, mask = _decisive_large_scores(rng)
    v = rng.normal(size=(2, 7, 4)).astype(np.float32)
    what = "scaled_dot_product_attention(q, k, v, mask) with scores of magnitude up to about 5000"
    output, weights = _attend(submission, q, k, v, mask, what=what)
    expected_output, expected_weights = reference_attention(q, k, v, mask)
    hint = "a softmax that subtracts each row's largest score before exp (tf.nn.softmax does)"
    expect_matches(weights, expected_weights, what=f"the weights of {what}", hint=hint)
    expect_matches(output, expected_output, what=f"the output of {what}", hint=hint)


@pytest.mark.points(1)
def test_float64_inputs(submission, rng, measure):
    """float64 inputs give float64 results, equal to the reference to double precision."""
    q, k, v = (rng.normal(size=shape) for shape in ((2, 3, 5, 6), (2, 3, 7, 6), (2, 3, 7, 4)))
    mask = np.tril(np.ones((5, 7), dtype=bool), k=2)
    what = "scaled_dot_product_attention(q, k, v, mask) for float64 q, k, v"
    result = submission.scaled_dot_product_attention(q, k, v, mask)
    hint = "compute in the dtype of q: cast the scale (√d_k) and any constant to q.dtype, not to float32"
    for index, name in enumerate(("output", "weights")):
        expect_dtype(
            result[index] if isinstance(result, (list, tuple)) and len(result) == 2 else result,
            np.float64,
            what=f"the {name} of {what}",
            hint=hint,
        )
    output, weights = read_attention(result, (2, 3, 5, 4), (2, 3, 5, 7), what=what)
    expected_output, expected_weights = reference_attention(q, k, v, mask)
    errors = [
        expect_matches(found, expected, what=f"the {name} of {what}", hint=hint, tolerance=FLOAT64_TOLERANCE)
        for name, found, expected in (("weights", weights, expected_weights), ("output", output, expected_output))
    ]
    measure_worst(measure, "log10 relative error, float64", errors)


@pytest.mark.points(2)
def test_multi_head_masks_and_sizes(submission, rng):
    """The multi-head model follows its sizes (2 heads of 6) and its mask (random and causal), as Keras's does."""
    model = submission.build_attention_model(*OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM)
    weights = random_weights(rng, OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM)
    submission.set_keras_weights(model, weights)
    trusted = trusted_layer(weights, OTHER_HEADS, OTHER_KEY_DIM)
    for mask, queries, keys in (("random", 6, 9), ("causal", 7, 7)):
        inputs = random_inputs(rng, OTHER_FEATURES, batch=3, queries=queries, keys=keys, mask=mask)
        what = (
            f"build_attention_model{(*OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM)}.predict_on_batch(...) with a "
            f"{mask} mask"
        )
        found = model_output(model, inputs, what=what, hint="the attention mask, passed to every head")
        expect_matches(
            found,
            trusted_output(trusted, inputs),
            what=what,
            hint="the mask (True: may attend) given to every head, num_heads and key_dim",
        )


@pytest.mark.points(2)
def test_train_step_large_logits(submission, rng, measure):
    """At scores of magnitude ~60, one train_step keeps every weight finite and equals Keras's step."""
    model = submission.build_attention_model(*OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM)
    weights = random_weights(rng, OTHER_FEATURES, OTHER_HEADS, OTHER_KEY_DIM, logit_scale=LARGE_LOGIT_SCALE)
    submission.set_keras_weights(model, weights)
    trusted = trusted_layer(weights, OTHER_HEADS, OTHER_KEY_DIM)
    inputs = random_inputs(rng, OTHER_FEATURES, batch=4, queries=6, keys=8, mask="random")
    target = rng.normal(size=(4, 6, OTHER_FEATURES[0])).astype(np.float32)
    learning_rate = 0.02
    call = f"train_step(model, inputs, target, learning_rate={learning_rate}) at large scores"
    loss = submission.train_step(model, inputs, target, learning_rate)
    expect_scalar_close(
        loss,
        trusted_step(trusted, inputs, target, learning_rate),
        rtol=1e-4,
        what=f"the loss {call} returns",
        hint="a softmax that cannot overflow, and the mean squared error",
    )
    probe = random_inputs(rng, OTHER_FEATURES, batch=2, queries=5, keys=6, mask="random")
    what = f"the model's output on fresh inputs after {call}"
    found = model_output(
        model, probe, what=what, hint="NaN weights after the step: a softmax that overflows, or gradients that do"
    )
    error = expect_matches(
        found,
        trusted_output(trusted, probe),
        what=what,
        hint="the gradient through the softmax and the update w - learning_rate * gradient",
    )
    measure_worst(measure, "log10 relative error after a step at large scores", [error])
