"""A recurrent acoustic model for speech synthesis in Keras 3 (seed question 25).

``build_synthesizer`` maps a sequence of token ids (phonemes, say) to acoustic
frames (mel-spectrogram-like vectors): every token becomes ``frames_per_token``
frames of ``frame_dim`` real values.  A recurrent layer runs over the embedded
tokens, so that a token's frames can depend on the tokens before it, as sounds
glide into each other in speech.  The model streams: a token's frames depend on
that token and the ones before it only, never on later ones, so speech can start
before the whole sentence is known.  ``train_synthesizer`` fits the model to target
frames with Adam and the mean squared error.
"""

from __future__ import annotations

import keras
from keras import layers


def build_synthesizer(
    vocab_size: int, frame_dim: int, frames_per_token: int, embedding_dim: int = 32, units: int = 64
) -> keras.Model:
    """Return an uncompiled model from token ids to acoustic frames.

    The model takes int32 token ids of shape ``(batch, tokens)``, any number of
    tokens (``keras.Input(shape=(None,), dtype="int32")``), ids in
    ``0 .. vocab_size - 1``, and returns float frames of shape
    ``(batch, tokens * frames_per_token, frame_dim)``: frames
    ``t * frames_per_token`` to ``(t + 1) * frames_per_token - 1`` belong to
    token ``t``.  It starts with ``Embedding(vocab_size, embedding_dim)``, runs
    at least one recurrent layer (``LSTM``, ``GRU`` or ``SimpleRNN``) forwards
    in time, every one with ``units`` units and ``return_sequences=True``, and
    ends with a linear output (no activation: frames are real values, neither
    probabilities nor bounded).  It is causal: the frames of token ``t`` depend
    on tokens ``0 .. t`` only (no ``Bidirectional``, no ``go_backwards``), so a
    later token never changes an earlier token's frames.  Built from
    Keras's built-in layers with the Sequential or functional API (no
    ``Lambda``, no custom layers).  Raises ``ValueError`` if a size is below 1.
    """
    if min(vocab_size, frame_dim, frames_per_token, embedding_dim, units) < 1:
        raise ValueError("vocab_size, frame_dim, frames_per_token, embedding_dim and units must be at least 1")
    # BEGIN SOLUTION: embed the tokens, run an LSTM over them, give each token its frames with a linear Dense, reshape
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = layers.Embedding(vocab_size, embedding_dim)(token_ids)
    states = layers.LSTM(units, return_sequences=True)(embedded)
    token_frames = layers.Dense(frames_per_token * frame_dim)(states)  # linear: frames are real values
    frames = layers.Reshape((-1, frame_dim))(token_frames)  # (batch, tokens * frames_per_token, frame_dim)
    return keras.Model(token_ids, frames, name="synthesizer")
    # END SOLUTION


def train_synthesizer(
    model: keras.Model, token_ids, frames, epochs: int = 10, batch_size: int = 32, learning_rate: float = 1e-3
) -> dict:
    """Fit ``model`` in place to ``frames`` with Adam and the mean squared error; return the per-epoch losses.

    ``token_ids`` has shape ``(n, tokens)`` (int32), ``frames`` shape
    ``(n, tokens * frames_per_token, frame_dim)`` (float32).  Train for exactly
    ``epochs`` passes over the data in mini-batches of ``batch_size`` sequences
    with ``keras.optimizers.Adam(learning_rate=learning_rate)`` (its other
    settings at their defaults) and the mean squared error over every frame
    value.  Return ``{"loss": [...]}``: one number per epoch, the mean of that
    epoch's batch losses (weighted by batch size), as ``model.fit`` reports it.
    Raises ``ValueError`` if ``token_ids`` and ``frames`` hold different numbers
    of sequences.
    """
    if len(token_ids) != len(frames):
        raise ValueError(f"token_ids holds {len(token_ids)} sequences but frames holds {len(frames)}")
    # BEGIN SOLUTION: compile with Adam(learning_rate) and the mean squared error, fit, return the epoch losses
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mean_squared_error")
    fitted = model.fit(token_ids, frames, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return {"loss": [float(value) for value in fitted.history["loss"]]}
    # END SOLUTION
