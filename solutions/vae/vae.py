"""A variational autoencoder (VAE) on small images, in Keras 3 with TensorFlow 2 (seed question 23).

The encoder maps an image to the mean and log-variance of a Gaussian over the
latent space; ``sample_z`` draws from it with the reparameterisation trick;
the decoder maps a latent vector back to pixel probabilities.  Training
minimises the negative ELBO: reconstruction cross-entropy plus the KL
divergence from the prior N(0, I).

    encoder = build_encoder(data_dim=64, latent_dim=2)     # x -> [mean, log_variance]
    decoder = build_decoder(latent_dim=2, data_dim=64)     # z -> pixel probabilities
    z = sample_z(mean, log_variance, epsilon)              # mean + exp(log_variance / 2) * epsilon
    history = train_vae(encoder, decoder, images, epochs=30)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers


def build_encoder(data_dim: int, latent_dim: int) -> keras.Model:
    """Return an encoder mapping ``(batch, data_dim)`` inputs to ``[mean, log_variance]``.

    A functional Keras model of built-in layers with one input and **two outputs**, each of
    shape ``(batch, latent_dim)``: the mean and the log-variance (natural log of the variance)
    of the approximate posterior q(z | x).  Both are unbounded: their last layers have no activation.
    """
    # BEGIN SOLUTION: shared hidden Dense layers, then two linear Dense(latent_dim) heads
    inputs = keras.Input(shape=(data_dim,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    mean = layers.Dense(latent_dim, name="mean")(x)
    log_variance = layers.Dense(latent_dim, name="log_variance")(x)
    return keras.Model(inputs, [mean, log_variance], name="encoder")
    # END SOLUTION


def build_decoder(latent_dim: int, data_dim: int) -> keras.Model:
    """Return a decoder mapping latent vectors ``(batch, latent_dim)`` to pixel probabilities ``(batch, data_dim)``.

    A Keras model of built-in layers (Sequential or functional) whose last layer is a
    ``Dense(data_dim)`` with a sigmoid: every output lies in (0, 1).
    """
    # BEGIN SOLUTION: hidden Dense layers, then Dense(data_dim) with a sigmoid
    inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(data_dim, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="decoder")
    # END SOLUTION


def sample_z(mean, log_variance, epsilon) -> tf.Tensor:
    """Return ``z = mean + exp(log_variance / 2) * epsilon``, the reparameterisation trick.

    All three have shape ``(batch, latent_dim)``; ``epsilon`` is standard normal noise drawn
    by the caller.  Use TensorFlow operations only, so that gradients flow from ``z`` to
    ``mean`` and ``log_variance``.
    """
    # BEGIN SOLUTION: the standard deviation is exp(log_variance / 2)
    return mean + tf.exp(0.5 * log_variance) * epsilon
    # END SOLUTION


def kl_divergence(mean, log_variance) -> tf.Tensor:
    """Return KL(N(mean, exp(log_variance)) || N(0, I)) for each sample: shape ``(batch,)``.

    ``-0.5 * sum(1 + log_variance - mean**2 - exp(log_variance))``, summed over the latent
    dimensions (not averaged), one value per sample.
    """
    # BEGIN SOLUTION: the closed form for two Gaussians, summed over the last axis
    return -0.5 * tf.reduce_sum(1.0 + log_variance - tf.square(mean) - tf.exp(log_variance), axis=-1)
    # END SOLUTION


def reconstruction_loss(x, x_reconstructed) -> tf.Tensor:
    """Return the binary cross-entropy between ``x`` and ``x_reconstructed`` for each sample: shape ``(batch,)``.

    ``-sum(x * log(p) + (1 - x) * log(1 - p))`` with ``p = x_reconstructed``, summed over the
    ``data_dim`` features (not averaged), one value per sample.  Pixels of ``x`` lie in [0, 1].
    """
    # BEGIN SOLUTION: Keras's binary_crossentropy averages over the last axis: multiply by its size
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    data_dim = tf.cast(tf.shape(x)[-1], tf.float32)
    return keras.losses.binary_crossentropy(x, x_reconstructed) * data_dim
    # END SOLUTION


def vae_loss(encoder: keras.Model, decoder: keras.Model, x, epsilon) -> tuple:
    """Return ``(loss, reconstruction, kl)`` for the batch ``x`` with the noise ``epsilon``.

    Encode ``x`` to ``mean, log_variance``; draw ``z = sample_z(mean, log_variance, epsilon)``;
    decode ``z``.  ``reconstruction`` is the batch mean of ``reconstruction_loss``, ``kl`` the
    batch mean of ``kl_divergence``, and ``loss = reconstruction + kl`` (the negative ELBO),
    all three scalars (0-d tensors or floats).  ``epsilon`` has shape ``(batch, latent_dim)``.
    """
    # BEGIN SOLUTION: encode, sample, decode, then average the two terms over the batch
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    mean, log_variance = encoder(x)
    z = sample_z(mean, log_variance, tf.convert_to_tensor(epsilon, dtype=tf.float32))
    reconstruction = tf.reduce_mean(reconstruction_loss(x, decoder(z)))
    kl = tf.reduce_mean(kl_divergence(mean, log_variance))
    return reconstruction + kl, reconstruction, kl
    # END SOLUTION


def train_vae(encoder: keras.Model, decoder: keras.Model, data, latent_dim: int, epochs: int = 30,
              batch_size: int = 64, learning_rate: float = 3e-3, seed: int = 0) -> dict:
    """Train the encoder and decoder together, in place, on ``data`` (shape ``(n, data_dim)``).

    Use one Adam optimizer with ``learning_rate`` for the variables of both networks.  Each
    epoch, visit the rows of ``data`` in a new random order in mini-batches of ``batch_size``
    (the last one may be smaller); for each, draw standard normal ``epsilon`` of shape
    ``(len(batch), latent_dim)``, take ``vae_loss`` on a ``tf.GradientTape`` and apply its
    gradient.  Draw the order and the noise from ``np.random.default_rng(seed)``.  Return
    ``{"loss": [...], "reconstruction": [...], "kl": [...]}``: for each epoch, the mean over
    its batches of the three values ``vae_loss`` returned (``epochs`` floats each).
    """
    # BEGIN SOLUTION: one optimizer over both networks' variables; shuffle, batch, step with a compiled update
    rng = np.random.default_rng(seed)
    data = np.asarray(data, dtype=np.float32)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    variables = encoder.trainable_variables + decoder.trainable_variables

    @tf.function(reduce_retracing=True)
    def update(x, epsilon):
        with tf.GradientTape() as tape:
            loss, reconstruction, kl = vae_loss(encoder, decoder, x, epsilon)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return tf.stack([loss, reconstruction, kl])

    history = {"loss": [], "reconstruction": [], "kl": []}
    for _ in range(epochs):
        order = rng.permutation(len(data))
        values = []
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            epsilon = rng.standard_normal((len(batch), latent_dim)).astype(np.float32)
            values.append(update(batch, epsilon).numpy())
        for key, value in zip(("loss", "reconstruction", "kl"), np.mean(values, axis=0)):
            history[key].append(float(value))
    return history
    # END SOLUTION
