"""A generative adversarial network on 2-D points, in Keras 3 with TensorFlow 2 (seed questions 8 and 17).

The generator maps noise vectors to data points; the discriminator maps a data
point to one logit ("real" if positive).  Training alternates two updates, each
with its own ``tf.GradientTape`` and binary cross-entropy computed from logits:

    generator = build_generator(latent_dim=4, data_dim=2)
    discriminator = build_discriminator(data_dim=2)
    d_optimizer, g_optimizer = make_optimizer(1e-3), make_optimizer(1e-3)                 # Adam, beta_1=0.5
    d_loss = discriminator_step(generator, discriminator, d_optimizer, real_batch, noise)   # only D changes
    g_loss = generator_step(generator, discriminator, g_optimizer, other_noise)            # only G changes
    history = train_gan(generator, discriminator, data, latent_dim=4, steps=300)          # the whole loop
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers


def build_generator(latent_dim: int, data_dim: int) -> keras.Model:
    """Return a generator mapping noise of shape ``(batch, latent_dim)`` to points ``(batch, data_dim)``.

    A small multilayer perceptron of Keras's built-in layers (Sequential or functional API)
    whose last layer is a ``Dense(data_dim)`` with no activation: the data are not scaled to
    [-1, 1], so the output must be unbounded.  No Dropout or BatchNormalization: the model
    must compute the same function in training and in inference.
    """
    # TODO: Input(latent_dim), two hidden Dense layers, then a linear Dense(data_dim)
    raise NotImplementedError('Input(latent_dim), two hidden Dense layers, then a linear Dense(data_dim)')


def build_discriminator(data_dim: int) -> keras.Model:
    """Return a discriminator mapping points of shape ``(batch, data_dim)`` to logits ``(batch, 1)``.

    A small multilayer perceptron of Keras's built-in layers.  The output is a **logit** (a
    ``Dense(1)`` with no activation, no sigmoid): positive means "real".  No Dropout or
    BatchNormalization.
    """
    # TODO: Input(data_dim), two hidden Dense layers, then Dense(1) without an activation
    raise NotImplementedError('Input(data_dim), two hidden Dense layers, then Dense(1) without an activation')


def make_optimizer(learning_rate: float = 1e-3) -> keras.optimizers.Optimizer:
    """Return a new ``keras.optimizers.Adam`` with ``learning_rate`` and ``beta_1=0.5`` for one of the two networks.

    Each network gets its own optimizer.  ``beta_1=0.5`` (Keras's default is 0.9) damps the
    momentum that makes GAN training oscillate; keep Keras's defaults for ``beta_2`` and ``epsilon``.
    """
    # TODO: Adam with beta_1 = 0.5, as usual for GANs
    raise NotImplementedError('Adam with beta_1 = 0.5, as usual for GANs')


def discriminator_loss(real_logits, fake_logits) -> tf.Tensor:
    """Return the discriminator's loss, a scalar: binary cross-entropy computed from logits.

    Real points have label 1 and generated points label 0:
    ``mean(BCE(1, real_logits)) + mean(BCE(0, fake_logits))``, each term averaged over
    its batch.  Compute it from the logits in a numerically stable way (no ``sigmoid``
    followed by ``log``): it must stay exact for logits as large as +-30.
    """
    # TODO: BinaryCrossentropy(from_logits=True) with ones for the real batch and zeros for the fake one
    raise NotImplementedError('BinaryCrossentropy(from_logits=True) with ones for the real batch and zeros for the fake one')


def generator_loss(fake_logits) -> tf.Tensor:
    """Return the generator's (non-saturating) loss, a scalar: ``mean(BCE(1, fake_logits))``.

    The generator wants the discriminator to call its points real, so it minimises the
    cross-entropy of the discriminator's logits on generated points against label 1.
    """
    # TODO: BinaryCrossentropy(from_logits=True) against ones
    raise NotImplementedError('BinaryCrossentropy(from_logits=True) against ones')


def discriminator_step(generator: keras.Model, discriminator: keras.Model, optimizer,
                       real_batch, noise) -> tf.Tensor:
    """Make one update of the discriminator only; return its loss before the update (a scalar).

    ``real_batch`` has shape ``(batch, data_dim)``, ``noise`` shape ``(n, latent_dim)``
    (NumPy arrays or tensors): the fake batch is ``generator(noise)``.  The loss is
    ``discriminator_loss`` of the discriminator's logits on the real and the fake batch.
    Record it on a ``tf.GradientTape`` and apply its gradient to the discriminator's
    trainable variables with ``optimizer``; the generator's weights must not change.
    Return the loss as a 0-d tensor or a float (a tensor lets ``train_gan`` compile this
    function with ``tf.function``).
    """
    # TODO: generate the fake batch, take the loss on a tape, update the discriminator's variables only
    raise NotImplementedError("Generate the fake batch, take the loss on a tape, update the discriminator's variables only")


def generator_step(generator: keras.Model, discriminator: keras.Model, optimizer, noise) -> tf.Tensor:
    """Make one update of the generator only; return its loss before the update (a scalar).

    The loss is ``generator_loss`` of the discriminator's logits on ``generator(noise)``.
    Record it on a ``tf.GradientTape`` and apply its gradient to the generator's
    trainable variables with ``optimizer``; the discriminator's weights must not change.
    Return the loss as a 0-d tensor or a float.
    """
    # TODO: on a tape, pass the noise through both networks; update the generator's variables only
    raise NotImplementedError("On a tape, pass the noise through both networks; update the generator's variables only")


def train_gan(generator: keras.Model, discriminator: keras.Model, data, latent_dim: int, steps: int = 300,
              batch_size: int = 64, discriminator_steps: int = 2, learning_rate: float = 2e-3, seed: int = 0) -> dict:
    """Train both networks in place on ``data`` (shape ``(n, data_dim)``); return the loss history.

    Make one new optimizer per network with ``make_optimizer(learning_rate)``.  Then repeat
    ``steps`` times: ``discriminator_steps`` times draw a random batch of ``batch_size`` rows
    of ``data`` and standard normal noise of shape ``(batch_size, latent_dim)`` and make one
    ``discriminator_step``; then draw fresh noise of the same shape and make one
    ``generator_step``.  Draw everything from ``np.random.default_rng(seed)``.  Return
    ``{"discriminator_loss": [...], "generator_loss": [...]}``: every loss the two step
    functions returned, as floats, in order (``steps * discriminator_steps`` and ``steps`` of them).
    """
    # TODO: two optimizers; per iteration, discriminator_steps discriminator updates then one generator update
    raise NotImplementedError('Two optimizers; per iteration, discriminator_steps discriminator updates then one generator update')
