"""Public checks of seq2seq: teacher forcing, the model's output and wiring, training, and greedy decoding."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PROBE_BATCHES, PROBE_EMBEDDING_DIM, PROBE_ROWS, PROBE_UNITS
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

from harness.checks import (
    expect_at_least,
    expect_close,
    expect_dtype,
    expect_loss_decreases,
    expect_numbers,
    expect_probabilities,
    expect_raises_in_submission,
    expect_subset,
    loss_settings,
    model_outputs,
    safe_min,
    verify_compiled_loss,
)

# test_training_follows_contract: the candidate's per-epoch losses against the grader's simulation of the same
# run (float32 on both sides, graph against eager): they agree to 1.2e-7 relative or better (CALIBRATION.md, 20
# seeds), while the last batch's loss is 7-23% off the epoch mean.  The mistakes aimed at are off by 1e-2 or
# more: the last batch's loss instead of the epoch mean, a learning rate or batch size ignored, targets not
# shifted (from_logits=True is test_compiled_loss's: Keras quietly fixes it in fit).
LOSS_RTOL = 1e-3

# test_encoder_state_reaches_decoder: how much the first step's probabilities of an untrained model move when
# only the source changes.  A decoder that does not start from the encoder's state moves by exactly 0; the
# reference and variants move every row by 1.4e-4 or more (CALIBRATION.md, 20 seeds).
MIN_SOURCE_EFFECT = 1e-6

# test_reverses_held_out_sequences: exact-sequence accuracy of greedy decoding of the trained model on 256
# fresh sources.  Calibration (CALIBRATION.md, 20 seeds): 0.969 at least, median 0.996, over the reference and 3
# variants.  A model that learned nothing
# scores 0 (7^4 possible answers), one without the encoder state cannot beat 1/7^4 either.
MIN_SEQUENCE_ACCURACY = 0.6
HELD_OUT = 256


@pytest.mark.points(2)
def test_decoder_inputs_shift_targets(submission, rng):
    """make_decoder_inputs puts the start token first and shifts the targets right by one."""
    targets = rng.integers(3, VOCAB, size=(7, 6)).astype(np.int32)
    for start_token in (START, int(rng.integers(3, VOCAB))):
        expected = np.concatenate([np.full((7, 1), start_token), targets[:, :-1]], axis=1)
        found = expect_dtype(
            submission.make_decoder_inputs(targets, start_token), np.int32, what="make_decoder_inputs(targets, start)"
        )
        expect_close(
            found,
            expected,
            what=f"make_decoder_inputs(targets, {start_token})",
            rtol=0,
            atol=0,
            hint="column 0 is the start token, column t is targets[:, t - 1]: the last target is never an input",
        )
    expect_raises_in_submission(
        lambda: submission.make_decoder_inputs(targets[0], START),
        accepted=("ValueError",),
        what="make_decoder_inputs of a 1-D array",
    )


@pytest.mark.points(2)
def test_model_gives_token_probabilities(submission, untrained, rng):
    """The training model maps [source (B, S), decoder inputs (B, T)] to probabilities of shape (B, T, V)."""
    sources = rng.integers(3, VOCAB, size=(5, 2)).astype(np.int32)  # lengths other than verify_keras_model's (5, 3)
    decoder_inputs = rng.integers(0, VOCAB, size=(5, 6)).astype(np.int32)
    outputs = model_outputs(
        untrained.handle,
        [sources, decoder_inputs],
        shape=(5, 6, VOCAB),
        what="model.predict_on_batch([source, decoder_inputs])",
        hint="Input(shape=(None,)) for both inputs, Dense(vocab_size) applied at every decoder step",
    )
    expect_probabilities(outputs, what="the output at every step", hint="Dense(vocab_size, activation='softmax')")


@pytest.mark.points(1)
def test_layer_sizes_follow_arguments(probe):
    """Every Embedding has embedding_dim outputs and every LSTM (at least two) has units units."""
    found = probe.start.layers()  # build_seq2seq(12, 8, 24), verified before the probe run
    embeddings = [layer.config.get("output_dim") for layer in found if layer.class_name == "Embedding"]
    lstms = [layer.config.get("units") for layer in found if layer.class_name == "LSTM"]
    expect_at_least(len(embeddings), 1, metric="the number of Embedding layers", hint="embed the token ids")
    expect_at_least(len(lstms), 2, metric="the number of LSTM layers", hint="an encoder LSTM and a decoder LSTM")
    hint = "pass embedding_dim to every Embedding and units to every LSTM"
    expected_embeddings, expected_lstms = [PROBE_EMBEDDING_DIM] * len(embeddings), [PROBE_UNITS] * len(lstms)
    expect_close(embeddings, expected_embeddings, what="the Embedding output sizes", rtol=0, atol=0, hint=hint)
    expect_close(lstms, expected_lstms, what="the LSTM sizes", rtol=0, atol=0, hint=hint)


@pytest.mark.points(2)
def test_encoder_state_reaches_decoder(untrained, rng, measure):
    """Changing only the source changes the decoder's first-step probabilities of every row."""
    decoder_inputs = rng.integers(0, VOCAB, size=(16, 3)).astype(np.int32)
    first = probabilities(untrained.rebuild.model, rng.integers(3, VOCAB, size=(16, LENGTH)), decoder_inputs)
    second = probabilities(untrained.rebuild.model, rng.integers(3, VOCAB, size=(16, LENGTH)), decoder_inputs)
    effect = safe_min(np.abs(first - second)[:, 0, :].max(axis=-1), what="the effect of the source per row")
    measure("smallest first-step change", effect)
    expect_at_least(
        effect,
        MIN_SOURCE_EFFECT,
        metric="the smallest change of a row's first-step probabilities",
        hint="the decoder LSTM must start from the encoder LSTM's final states: initial_state=[state_h, state_c]",
    )


@pytest.mark.points(3)
def test_training_follows_contract(probe, measure):
    """Per-epoch losses of a probe run equal the contract's (Adam, learning rate, batches, shifted targets)."""
    found = expect_numbers(
        probe.history.get("loss") if isinstance(probe.history, dict) else probe.history,
        what='train_seq2seq(...)["loss"]',
        length=len(probe.expected),
    )
    last_batches = [losses[-1] for losses in probe.batch_losses]
    hint = (
        f"compile with Adam(learning_rate) and sparse categorical cross-entropy of probabilities, fit with "
        f"batch_size on make_decoder_inputs(targets, start_token={probe.start_token}); each epoch's loss is the mean "
        f"over the epoch's {PROBE_ROWS} rows ({PROBE_BATCHES} per batch), not the last batch's (that would give "
        f"{[round(value, 5) for value in last_batches]})"
    )
    gap = np.abs(np.asarray(found) - np.asarray(probe.expected)) / np.abs(probe.expected)
    measure("largest relative loss error", float(np.max(gap)))
    measure("relative gap to last batch", float(abs(last_batches[0] - probe.expected[0]) / probe.expected[0]))
    expect_close(found, probe.expected, what="the probe run's per-epoch losses", rtol=LOSS_RTOL, atol=0, hint=hint)


@pytest.mark.points(2)
def test_decode_matches_greedy_reference(submission, untrained, rng):
    """decode_sequence gives the argmax tokens, stops before the end token and after max_length tokens."""
    for max_length, never_ends in ((6, False), (3, True)):
        sources = rng.integers(3, VOCAB, size=(12, LENGTH)).astype(np.int32)
        start_token = int(rng.integers(3, VOCAB))
        tokens, gaps = greedy_tokens(untrained.rebuild.model, sources, start_token, max_length)
        clear = gaps >= TIE_GAP  # rows without a near tie (float32 noise could flip their argmax)
        if never_ends:
            end_token = VOCAB  # a token the model never predicts: every row runs to max_length
        else:
            later = tokens[clear, 1:].ravel()  # an end token the greedy decoding meets after its first step
            end_token = int(np.bincount(later).argmax()) if later.size else int(tokens[0, 0])
        found = submission.decode_sequence(untrained.handle, sources, start_token, end_token, max_length)
        expected = cut_at(tokens, end_token)
        expect_token_lists(
            found,
            expected,
            clear,
            what=f"decode_sequence(model, sources, start_token={start_token}, end_token={end_token}, "
            f"max_length={max_length})",
            hint="feed the tokens so far, append the argmax of the last step; stop a row before its first end "
            "token, or after max_length tokens",
        )


@pytest.mark.statistical
@pytest.mark.points(3)
def test_reverses_held_out_sequences(trained, rng, measure):
    """The trained model, decoded greedily, reverses fresh sources (exact-sequence accuracy)."""
    losses = trained.history.get("loss") if isinstance(trained.history, dict) else trained.history
    expect_loss_decreases(losses, what='train_seq2seq(...)["loss"]', min_relative_drop=0.5)
    sources, targets = reverse_task(rng, HELD_OUT)
    tokens, _ = greedy_tokens(trained.rebuild, sources, START, LENGTH + 1 + DECODE_SLACK)
    decoded = cut_at(tokens, END)
    accuracy = float(np.mean([row == list(target[:-1]) for row, target in zip(decoded, targets.tolist())]))
    measure("exact-sequence accuracy", accuracy)
    expect_at_least(
        accuracy,
        MIN_SEQUENCE_ACCURACY,
        metric="the exact-sequence accuracy on fresh sources",
        baseline="calibrated on the reference and correct variants",
        hint="teacher forcing with make_decoder_inputs, the encoder's states as the decoder's initial_state",
    )


@pytest.mark.points(2)
def test_compiled_loss(probe):
    """The model is compiled with the sparse categorical cross-entropy of probabilities (not logits)."""
    # On the probe run's model: its probabilities are moderate, so the grader's loss of the rebuild's outputs (which
    # clips probabilities at 1e-7) and the worker's (which Keras computes from the softmax's input) agree to ~1e-7.
    loss = verify_compiled_loss(
        probe.after, probe.handle, probe.inputs, probe.targets, what="the model after train_seq2seq"
    )
    settings = loss_settings(loss)
    hint = "the model ends in a softmax, so the loss takes probabilities: from_logits=False (Keras's default)"
    name = str(settings.get("class_name", "")).lower().replace("_", "")
    expect_subset([name], {"sparsecategoricalcrossentropy"}, what="the compiled loss", noun="loss", hint=hint)
    expect_subset([settings.get("from_logits")], {False}, what="the loss's from_logits", noun="setting", hint=hint)
