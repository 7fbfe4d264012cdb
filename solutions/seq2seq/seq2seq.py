"""A sequence-to-sequence encoder-decoder LSTM in Keras 3 with TensorFlow 2 (seed questions 7 and 18).

The encoder reads the source tokens and hands its final LSTM state ``[h, c]`` to the
decoder.  In training the decoder reads the target shifted right by one (teacher
forcing); at inference it reads its own previous prediction (greedy decoding):

    model = build_seq2seq(vocab_size=12, embedding_dim=16, units=64)
    history = train_seq2seq(model, sources, targets, start_token=1, epochs=30)
    decoded = decode_sequence(model, new_sources, start_token=1, end_token=2, max_length=10)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def make_decoder_inputs(targets, start_token: int) -> np.ndarray:
    """Return the teacher-forcing decoder inputs: the targets shifted right by one step.

    ``targets`` holds integer token ids of shape ``(batch, steps)``.  The result has the same
    shape and dtype ``int32``: column 0 is ``start_token`` and column ``t`` is ``targets[:, t - 1]``
    (the last target token is never an input).  ``targets`` itself is left unchanged.  Raise
    ``ValueError`` if ``targets`` is not 2-D.
    """
    # BEGIN SOLUTION: a column of start tokens, then every target column but the last
    targets = np.asarray(targets)
    if targets.ndim != 2:
        raise ValueError(f"targets should have shape (batch, steps), not {targets.shape}")
    starts = np.full((len(targets), 1), start_token, dtype=np.int32)
    return np.concatenate([starts, targets[:, :-1].astype(np.int32)], axis=1)
    # END SOLUTION


def build_seq2seq(vocab_size: int, embedding_dim: int = 16, units: int = 64) -> keras.Model:
    """Return the training model: ``[source (batch, S), decoder_inputs (batch, T)]`` to ``(batch, T, vocab_size)``.

    Both inputs are integer token ids of any length (``shape=(None,)``).  The encoder embeds
    the source (``Embedding(vocab_size, embedding_dim)``) and runs an ``LSTM(units,
    return_state=True)``; its final states ``[h, c]`` are the ``initial_state`` of the decoder's
    ``LSTM(units, return_sequences=True)``, which reads the embedded decoder inputs.  A
    ``Dense(vocab_size, activation="softmax")`` gives next-token probabilities at every step.
    Every ``Embedding`` has ``embedding_dim`` outputs and every ``LSTM`` ``units`` units.  Use
    Keras's built-in layers and the functional API; no ``Dropout`` (training and inference must
    compute the same function).
    """
    # BEGIN SOLUTION: embed both inputs; the encoder LSTM's final [h, c] start the decoder LSTM; softmax Dense
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    decoder_inputs = keras.Input(shape=(None,), dtype="int32", name="decoder_inputs")
    encoded = layers.Embedding(vocab_size, embedding_dim)(source)
    _, state_h, state_c = layers.LSTM(units, return_state=True)(encoded)
    embedded = layers.Embedding(vocab_size, embedding_dim)(decoder_inputs)
    decoded = layers.LSTM(units, return_sequences=True)(embedded, initial_state=[state_h, state_c])
    probabilities = layers.Dense(vocab_size, activation="softmax")(decoded)
    return keras.Model([source, decoder_inputs], probabilities, name="seq2seq")
    # END SOLUTION


def train_seq2seq(model: keras.Model, sources, targets, start_token: int, epochs: int = 30, batch_size: int = 64,
                  learning_rate: float = 1e-2) -> dict:
    """Train ``model`` in place with teacher forcing; return ``{"loss": [one float per epoch]}``.

    ``sources`` has shape ``(n, S)`` and ``targets`` shape ``(n, T)`` (integer token ids).
    Compile the model with ``keras.optimizers.Adam(learning_rate)`` (Keras's other defaults)
    and the sparse categorical cross-entropy of the probabilities (not logits), then fit it
    for ``epochs`` epochs of shuffled mini-batches of ``batch_size`` rows on
    ``[sources, make_decoder_inputs(targets, start_token)]`` against ``targets``.  Each epoch's
    loss is the mean cross-entropy over every target token of the epoch (what
    ``model.fit``'s history reports), not the last batch's.
    """
    # BEGIN SOLUTION: compile with Adam and sparse categorical cross-entropy, fit on the shifted targets
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    decoder_inputs = make_decoder_inputs(targets, start_token)
    history = model.fit([np.asarray(sources, dtype=np.int32), decoder_inputs], np.asarray(targets, dtype=np.int32),
                        epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return {"loss": [float(value) for value in history.history["loss"]]}
    # END SOLUTION


def decode_sequence(model: keras.Model, sources, start_token: int, end_token: int, max_length: int) -> list:
    """Decode each source greedily; return one list of token ids (Python ints) per source row.

    Start the decoder inputs with ``start_token``; at each step feed the tokens so far and
    append the most probable next token (``argmax`` of the last step's probabilities).  A row
    stops at its first ``end_token``, which is not included, or after ``max_length`` tokens.
    """
    # BEGIN SOLUTION: grow the decoder inputs one argmax token at a time; cut each row at its end token
    sources = np.asarray(sources, dtype=np.int32)
    decoder_inputs = np.full((len(sources), 1), start_token, dtype=np.int32)
    finished = np.zeros(len(sources), dtype=bool)
    decoded = [[] for _ in range(len(sources))]
    for _ in range(max_length):
        probabilities = np.asarray(model([sources, decoder_inputs], training=False))
        next_tokens = probabilities[:, -1, :].argmax(axis=-1).astype(np.int32)
        for row, token in enumerate(next_tokens):
            finished[row] |= token == end_token
            if not finished[row]:
                decoded[row].append(int(token))
        if finished.all():
            break
        decoder_inputs = np.concatenate([decoder_inputs, next_tokens[:, None]], axis=1)
    return decoded
    # END SOLUTION
