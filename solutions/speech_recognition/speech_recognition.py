"""Spoken-digit recognition with a recurrent network in Keras 3 (seed questions 16 and 22).

``log_mel_features`` turns a waveform into log-mel frames with ``tf.signal``;
``build_model`` masks the zero frames that pad a batch of utterances of
different lengths, reads the frames with an LSTM and classifies the whole
utterance with a Dense softmax layer; ``train`` fits it in place.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

LOG_OFFSET = 1e-6  # added to the mel energies before the logarithm, so that silence gives a finite value
LOWEST_FREQUENCY_HERTZ = 20.0  # the lower edge of the first mel band


def log_mel_features(waveform, sample_rate: int, frame_length: int, frame_step: int, num_mel_bins: int) -> np.ndarray:
    """Return the log-mel frames of a 1-D ``waveform``: shape ``(frames, num_mel_bins)``, float32.

    Cut the waveform into frames of ``frame_length`` samples every
    ``frame_step`` samples (no padding at the end: ``frames = 1 + (len(waveform)
    - frame_length) // frame_step``), multiply each frame by a periodic Hann
    window and take the magnitude ``|FFT|`` over ``fft_length`` points, the
    smallest power of 2 at least ``frame_length`` (what ``tf.signal.stft``
    does by default). Map the ``fft_length // 2 + 1`` magnitudes to
    ``num_mel_bins`` mel bands with
    ``tf.signal.linear_to_mel_weight_matrix(num_mel_bins, fft_length // 2 + 1,
    sample_rate, 20.0, sample_rate / 2)`` and return ``log(mel + 1e-6)``
    (natural logarithm). Raise ``ValueError`` if the waveform is not 1-D or
    has fewer than ``frame_length`` samples.
    """
    # BEGIN SOLUTION: tf.signal.stft (Hann window), |.|, a mel weight matrix, then log(mel + 1e-6)
    waveform = np.asarray(waveform, dtype=np.float32)
    if waveform.ndim != 1 or len(waveform) < frame_length:
        raise ValueError(f"need a 1-D waveform of at least {frame_length} samples, got shape {waveform.shape}")
    spectrogram = tf.abs(tf.signal.stft(waveform, frame_length=frame_length, frame_step=frame_step))
    mel_matrix = tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=num_mel_bins,
        num_spectrogram_bins=spectrogram.shape[-1],
        sample_rate=sample_rate,
        lower_edge_hertz=LOWEST_FREQUENCY_HERTZ,
        upper_edge_hertz=sample_rate / 2,
    )
    mel_spectrogram = tf.matmul(spectrogram, mel_matrix)
    return tf.math.log(mel_spectrogram + LOG_OFFSET).numpy()
    # END SOLUTION


def build_model(num_mel_bins: int, num_classes: int, learning_rate: float = 1e-2) -> keras.Model:
    """Return a compiled recurrent classifier of padded log-mel utterances.

    The model takes a batch ``(batch, time, num_mel_bins)`` float32 with any
    number of time steps: utterances shorter than the batch's longest are
    padded after their end with all-zero frames, which must not change the
    output (mask them: ``keras.layers.Masking(mask_value=0.0)`` before the
    recurrent layer). It reads the frames with a recurrent layer (LSTM or
    GRU) and returns ``(batch, num_classes)`` class probabilities (a Dense
    softmax output; each row sums to 1). Built with Keras's built-in layers and
    the Sequential or functional API, and compiled with an optimizer using
    ``learning_rate`` and the loss for integer labels on probabilities,
    ``keras.losses.SparseCategoricalCrossentropy()`` (``from_logits=False``).
    """
    # BEGIN SOLUTION: Masking(0.0), a recurrent layer, a Dense softmax layer; compile for integer labels
    inputs = keras.Input(shape=(None, num_mel_bins))
    x = layers.Masking(mask_value=0.0)(inputs)
    x = layers.LSTM(24)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="spoken_digit_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return model
    # END SOLUTION


def train(model: keras.Model, features, labels, epochs: int = 5, batch_size: int = 32) -> dict:
    """Fit ``model`` in place on padded utterances ``features`` and integer ``labels``; return the history.

    ``features`` has shape ``(n, time, num_mel_bins)`` (float32, zero frames
    after each utterance's end), ``labels`` shape ``(n,)`` with labels
    ``0 .. num_classes - 1``. Train for exactly ``epochs`` epochs with
    mini-batches of ``batch_size`` utterances. Return the dict of per-epoch
    values Keras records (the ``history`` attribute of what ``fit`` returns):
    at least ``"loss"``, a list of one number per epoch.
    """
    # BEGIN SOLUTION: call model.fit with the given epochs and batch size, then return the History's dict
    fitted = model.fit(features, labels, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    return fitted.history
    # END SOLUTION
