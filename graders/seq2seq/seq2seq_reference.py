"""The grader's side of seq2seq: the reverse task, greedy decoding of a verified model, and a simulated probe run.

Everything here runs in the grader process on data drawn from the run's secret
and on models rebuilt by ``verify_keras_model``; nothing is computed by the
candidate's code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.checks import CheckFailed, describe, verify_keras_model

# The reverse task: tokens 0 (unused padding), 1 (start) and 2 (end), then SYMBOLS symbols 3..VOCAB-1.
START, END, FIRST_SYMBOL = 1, 2, 3
SYMBOLS = 7
VOCAB = FIRST_SYMBOL + SYMBOLS
LENGTH = 4  # source symbols; the target is the reversed source followed by END (LENGTH + 1 tokens)
EMBEDDING_DIM, UNITS = 16, 32  # the trained model: small enough to train in about a second of CPU
TRAIN_ROWS = 640
# 10 epochs of 20 batches: the reference reaches 0.9-1.0 exact-sequence accuracy (CALIBRATION.md); the
# time is dominated by tracing the LSTM graphs (~2.5 s of CPU per fit), not by the 200 steps.
TRAINING = {"epochs": 10, "batch_size": 32, "learning_rate": 0.02}
TRAIN_DEADLINE_SECONDS = 120  # an eager fit takes ~0.1 s per step here: 200 steps ~20 s
DECODE_SLACK = 3  # max_length = LENGTH + 1 + DECODE_SLACK: room to show a decoder that never stops
TIE_GAP = 1e-4  # a greedy step whose two best probabilities are closer than this is too close to call


def reverse_task(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Return random sources ``(rows, LENGTH)`` and targets: each source reversed, then END."""
    sources = rng.integers(FIRST_SYMBOL, VOCAB, size=(rows, LENGTH)).astype(np.int32)
    ends = np.full((rows, 1), END, dtype=np.int32)
    return sources, np.concatenate([sources[:, ::-1], ends], axis=1)


def verified(submission: Any, model: Any, rng: np.random.Generator, *, what: str, vocab: int = VOCAB):
    """Verify a seq2seq model on secret token inputs of two lengths (source 5, decoder 3)."""
    probes = [
        rng.integers(0, vocab, size=(8, 5)).astype(np.int32),
        rng.integers(0, vocab, size=(8, 3)).astype(np.int32),
    ]
    return verify_keras_model(submission, model, probe_inputs=probes, what=what)


def probabilities(model: Any, sources: np.ndarray, decoder_inputs: np.ndarray) -> np.ndarray:
    """The trusted rebuild's next-token probabilities, float64, ``(rows, steps, vocab)``."""
    outputs = model([np.asarray(sources, np.int32), np.asarray(decoder_inputs, np.int32)], training=False)
    return np.asarray(outputs, dtype=np.float64)


def greedy_tokens(model: Any, sources: np.ndarray, start_token: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy tokens ``(rows, steps)`` of a trusted model, never stopping, and each row's smallest top-2 gap."""
    decoded = np.full((len(sources), 1), start_token, dtype=np.int32)
    gaps = np.full(len(sources), np.inf)
    for _ in range(steps):
        last = probabilities(model, sources, decoded)[:, -1, :]
        ordered = np.sort(last, axis=-1)
        gaps = np.minimum(gaps, ordered[:, -1] - ordered[:, -2])
        decoded = np.concatenate([decoded, last.argmax(axis=-1)[:, None].astype(np.int32)], axis=1)
    return decoded[:, 1:], gaps


def cut_at(tokens: np.ndarray, end_token: int) -> list[list[int]]:
    """Each row's tokens before its first ``end_token``."""
    rows = []
    for row in tokens.tolist():
        rows.append(row[: row.index(end_token)] if end_token in row else row)
    return rows


def simulate_probe(
    model: Any,
    source: np.ndarray,
    target: np.ndarray,
    start_token: int,
    batches: list[int],
    epochs: int,
    learning_rate: float,
) -> tuple[list[float], list[list[float]]]:
    """Train the trusted rebuild as the contract says on one repeated row; return epoch means and batch losses.

    Every row of the probe data is the same, so every batch has that row's loss, whatever the
    shuffling: the run is one Adam step per batch of copies of one row.
    """
    import keras
    import tensorflow as tf

    decoder_inputs = np.concatenate([[start_token], target[:-1]]).astype(np.int32)[None, :]
    optimizer = keras.optimizers.Adam(learning_rate)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy()
    history, batch_losses = [], []
    for _ in range(epochs):
        losses = []
        for rows in batches:  # whole batches of copies: Adam treats the Embedding's sparse gradient per row
            inputs = [np.tile(source.astype(np.int32), (rows, 1)), np.tile(decoder_inputs, (rows, 1))]
            with tf.GradientTape() as tape:
                loss = cross_entropy(np.tile(target, (rows, 1)), model(inputs, training=True))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            losses.append(float(loss))
        history.append(float(np.dot(losses, batches) / np.sum(batches)))
        batch_losses.append(losses)
    return history, batch_losses


def expect_token_lists(found: Any, expected: list[list[int]], keep: np.ndarray, *, what: str, hint: str) -> None:
    """Require ``found`` to be one list of int token ids per row, equal to ``expected`` on the rows in ``keep``."""
    rows_ok = isinstance(found, (list, tuple)) and len(found) == len(expected)
    if not rows_ok or not all(
        isinstance(row, (list, tuple))
        and all(isinstance(token, (int, np.integer)) and not isinstance(token, bool) for token in row)
        for row in found
    ):
        raise CheckFailed(
            f"{what} should be a list of {len(expected)} lists of token ids (ints), one per source row, but it "
            f"is {describe(found)}. Hint: {hint}."
        )
    wrong = [index for index in np.flatnonzero(keep) if [int(token) for token in found[index]] != expected[index]]
    if wrong:
        index = wrong[0]
        raise CheckFailed(
            f"{what} differs from greedy decoding in {len(wrong)} of {int(np.sum(keep))} rows; row {index}: expected "
            f"{expected[index]}, found {[int(token) for token in found[index]]}. Hint: {hint}."
        )
