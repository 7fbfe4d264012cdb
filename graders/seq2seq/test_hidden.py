"""Hidden checks of seq2seq: the decoder is causal, and decode_sequence decodes the trained model greedily."""

from __future__ import annotations

import numpy as np
import pytest
from seq2seq_reference import (
    DECODE_SLACK,
    END,
    LENGTH,
    START,
    TIE_GAP,
    VOCAB,
    cut_at,
    expect_token_lists,
    greedy_tokens,
    probabilities,
    reverse_task,
)

from harness.checks import expect_at_least, expect_close, safe_min

MIN_INPUT_EFFECT = 1e-6  # as MIN_SOURCE_EFFECT in test_public.py: an ignored input moves nothing, exactly


def _another_symbol(tokens: np.ndarray) -> np.ndarray:
    """Another symbol than each of ``tokens``."""
    return 3 + (tokens - 3 + 1) % (VOCAB - 3)


@pytest.mark.points(2)
def test_decoder_is_causal(untrained, rng):
    """Changing decoder input t leaves the outputs before t unchanged and changes the output at t."""
    sources = rng.integers(3, VOCAB, size=(16, LENGTH)).astype(np.int32)
    decoder_inputs = rng.integers(3, VOCAB, size=(16, 6)).astype(np.int32)
    step = int(rng.integers(2, 5))
    changed = decoder_inputs.copy()
    changed[:, step] = _another_symbol(decoder_inputs[:, step])
    before = probabilities(untrained.rebuild.model, sources, decoder_inputs)
    after = probabilities(untrained.rebuild.model, sources, changed)
    hint = "a one-way decoder LSTM (no Bidirectional, no look at later decoder inputs): greedy decoding relies on it"
    expect_close(
        after[:, :step], before[:, :step], what=f"the outputs before step {step}", rtol=0, atol=1e-6, hint=hint
    )
    effect = safe_min(np.abs(after - before)[:, step].max(axis=-1), what="the effect of decoder input per row")
    expect_at_least(
        effect,
        MIN_INPUT_EFFECT,
        metric=f"the smallest change of a row's output at step {step}",
        hint="the decoder LSTM reads the embedded decoder inputs",
    )


@pytest.mark.points(2)
def test_decodes_trained_model_greedily(submission, trained, rng):
    """decode_sequence of the trained model equals the grader's greedy decoding of its rebuild on fresh sources."""
    sources, _ = reverse_task(rng, 32)
    max_length = LENGTH + 1 + DECODE_SLACK
    tokens, gaps = greedy_tokens(trained.rebuild, sources, START, max_length)
    found = submission.decode_sequence(trained.handle, sources, START, END, max_length)
    expect_token_lists(
        found,
        cut_at(tokens, END),
        gaps >= TIE_GAP,
        what=f"decode_sequence(trained model, fresh sources, {START}, {END}, {max_length})",
        hint="decode with the model you are given: feed the tokens so far, append the argmax, stop before the "
        "end token",
    )
