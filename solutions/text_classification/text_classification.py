"""Text classification over padded token ids with an embedding layer, in Keras 3 (seed questions 11 and 21).

``pad_token_ids`` turns sequences of different lengths into one array, padded
with the token id 0 at the end.  ``build_bag_of_embeddings`` averages the
embeddings of the real tokens (a bag of words: blind to their order);
``build_lstm_classifier`` reads them in order with an LSTM.  Both mask the
padding, so appending pad tokens never changes a prediction.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

PAD_ID = 0  # the token id of padding; real tokens are 1 .. vocab_size - 1


def pad_token_ids(sequences, length: int | None = None) -> np.ndarray:
    """Return ``sequences`` as one int32 array of shape ``(len(sequences), length)``, padded with 0 at the end.

    ``sequences`` is a list of sequences (lists or 1-d arrays) of token ids
    ``>= 1``.  Each row holds one sequence from its first token on, followed by
    pad tokens (0) up to ``length``; a sequence longer than ``length`` keeps its
    first ``length`` tokens.  ``length`` defaults to the length of the longest
    sequence.  Raises ``ValueError`` if ``length`` is given and smaller than 1.
    """
    # BEGIN SOLUTION: allocate an int32 array of zeros, copy each sequence's first tokens to the start of its row
    if length is None:
        length = max((len(sequence) for sequence in sequences), default=0)
    elif length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    padded = np.full((len(sequences), length), PAD_ID, dtype=np.int32)
    for row, sequence in enumerate(sequences):
        kept = np.asarray(sequence, dtype=np.int32)[:length]
        padded[row, :len(kept)] = kept
    return padded
    # END SOLUTION


def build_bag_of_embeddings(vocab_size: int, num_classes: int, embedding_dim: int = 16) -> keras.Model:
    """Return a compiled classifier that averages the embeddings of the real (non-pad) tokens.

    The model takes int32 token ids of shape ``(batch, length)`` for any
    ``length`` (``keras.Input(shape=(None,), dtype="int32")``), where 0 is
    padding and real tokens are ``1 .. vocab_size - 1``.  It embeds them with a
    ``keras.layers.Embedding(vocab_size, embedding_dim, ...)`` that masks the
    padding, pools the embeddings in a way that ignores their order and the
    masked positions, and returns ``(batch, num_classes)`` class probabilities
    (softmax).  Compiled with an optimizer and
    ``keras.losses.SparseCategoricalCrossentropy()`` (integer labels,
    ``from_logits=False``), ready for ``model.fit``.
    """
    # BEGIN SOLUTION: Embedding with mask_zero=True, masked average pooling, a Dense softmax head; compile
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(inputs)
    pooled = layers.GlobalAveragePooling1D()(embedded)
    outputs = layers.Dense(num_classes, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs, name="bag_of_embeddings")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model
    # END SOLUTION


def build_lstm_classifier(vocab_size: int, num_classes: int, embedding_dim: int = 16, units: int = 32) -> keras.Model:
    """Return a compiled classifier that reads the real (non-pad) tokens in order with an LSTM of ``units`` units.

    Inputs, outputs, embedding and compile settings as for
    ``build_bag_of_embeddings``; between the ``Embedding`` (which masks the
    padding) and the softmax head sits a ``keras.layers.LSTM(units)`` (it may
    be wrapped in ``keras.layers.Bidirectional``) that skips the masked
    positions.
    """
    # BEGIN SOLUTION: Embedding with mask_zero=True, an LSTM that receives the mask, a Dense softmax head; compile
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(inputs)
    state = layers.LSTM(units)(embedded)
    outputs = layers.Dense(num_classes, activation="softmax")(state)
    model = keras.Model(inputs, outputs, name="lstm_classifier")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model
    # END SOLUTION
