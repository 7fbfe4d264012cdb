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
    # TODO: shared hidden Dense layers, then two linear Dense(latent_dim) heads
    raise NotImplementedError('Shared hidden Dense layers, then two linear Dense(latent_dim) heads')


def build_decoder(latent_dim: int, data_dim: int) -> keras.Model:
    """Return a decoder mapping latent vectors ``(batch, latent_dim)`` to pixel probabilities ``(batch, data_dim)``.

    A Keras model of built-in layers (Sequential or functional) whose last layer is a
    ``Dense(data_dim)`` with a sigmoid: every output lies in (0, 1).
    """
    # TODO: hidden Dense layers, then Dense(data_dim) with a sigmoid
    raise NotImplementedError('Hidden Dense layers, then Dense(data_dim) with a sigmoid')


def sample_z(mean, log_variance, epsilon) -> tf.Tensor:
    """Return ``z = mean + exp(log_variance / 2) * epsilon``, the reparameterisation trick.

    All three have shape ``(batch, latent_dim)``; ``epsilon`` is standard normal noise drawn
    by the caller.  Use TensorFlow operations only, so that gradients flow from ``z`` to
    ``mean`` and ``log_variance``.
    """
    # TODO: the standard deviation is exp(log_variance / 2)
    raise NotImplementedError('The standard deviation is exp(log_variance / 2)')


def kl_divergence(mean, log_variance) -> tf.Tensor:
    """Return KL(N(mean, exp(log_variance)) || N(0, I)) for each sample: shape ``(batch,)``.

    ``-0.5 * sum(1 + log_variance - mean**2 - exp(log_variance))``, summed over the latent
    dimensions (not averaged), one value per sample.
    """
    # TODO: the closed form for two Gaussians, summed over the last axis
    raise NotImplementedError('The closed form for two Gaussians, summed over the last axis')


def reconstruction_loss(x, x_reconstructed) -> tf.Tensor:
    """Return the binary cross-entropy between ``x`` and ``x_reconstructed`` for each sample: shape ``(batch,)``.

    ``-sum(x * log(p) + (1 - x) * log(1 - p))`` with ``p = x_reconstructed``, summed over the
    ``data_dim`` features (not averaged), one value per sample.  Pixels of ``x`` lie in [0, 1].
    """
    # TODO: Keras's binary_crossentropy averages over the last axis: multiply by its size
    raise NotImplementedError("Keras's binary_crossentropy averages over the last axis: multiply by its size")


def vae_loss(encoder: keras.Model, decoder: keras.Model, x, epsilon) -> tuple:
    """Return ``(loss, reconstruction, kl)`` for the batch ``x`` with the noise ``epsilon``.

    Encode ``x`` to ``mean, log_variance``; draw ``z = sample_z(mean, log_variance, epsilon)``;
    decode ``z``.  ``reconstruction`` is the batch mean of ``reconstruction_loss``, ``kl`` the
    batch mean of ``kl_divergence``, and ``loss = reconstruction + kl`` (the negative ELBO),
    all three scalars (0-d tensors or floats).  ``epsilon`` has shape ``(batch, latent_dim)``.
    """
    # TODO: encode, sample, decode, then average the two terms over the batch
    raise NotImplementedError('Encode, sample, decode, then average the two terms over the batch')


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
    # TODO: one optimizer over both networks' variables; shuffle, batch, step with a compiled update
    raise NotImplementedError("One optimizer over both networks' variables; shuffle, batch, step with a compiled update")
