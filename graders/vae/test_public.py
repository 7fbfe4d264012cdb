"""Public checks of the vae exercise: shapes, sampling and its gradients, the two loss terms, and training."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FROZEN_LEARNING, ONE_STEP_IMAGES
from vae_reference import (
    DATA_DIM,
    JUDGE_IMAGES,
    LATENT_DIM,
    TRAINED_HINT,
    TRAINING,
    blob_images,
    decode,
    encode,
    kl_reference,
    read_array,
    reconstruction_reference,
    sample_z_reference,
)

from harness.checks import (
    expect_at_least,
    expect_at_most,
    expect_close,
    expect_in_range,
    expect_loss_decreases,
    expect_numbers,
    expect_scalar_close,
    expect_type,
    expect_unchanged,
    largest_change,
    safe_max,
)

# Values returned by the candidate's functions are compared with the grader's float64 references; float32
# arithmetic is off by about 1e-7 relative (CALIBRATION.md: vae_loss at most ~1e-7 on 20 seeds).  The mistakes
# aimed at are off by far more; the subtlest, the variance instead of the standard deviation in vae_loss on an
# untrained encoder (log-variances near 0), by 6e-4 or more with epsilon 3 x N(0, 1) (seeds 0-9).
RTOL = 1e-5
ATOL = 1e-5
EPSILON_SCALE = 3.0  # test_vae_loss's epsilon: any values are allowed; larger ones make the sampling matter more

# test_elbo_falls: the reference's loss falls by 50-53% over 30 epochs (CALIBRATION.md, 20 seeds); a model
# that learns nothing keeps its first epoch's loss.  Requiring a 25% fall leaves a wide margin.
MIN_RELATIVE_LOSS_DROP = 0.25

# test_reconstruction_error: mean squared error per pixel of the reconstructions of fresh images (decoding the
# encoder's mean), divided by that of predicting the training images' mean image for every image.
# Calibration (CALIBRATION.md, 20 seeds): the reference reaches 0.10-0.18 (median 0.11).  Correct variants
# stay below 0.17 (seeds 0-7: hidden layers of 32 or 128 units, one hidden layer, learning rate 1e-3).  A posterior that
# collapsed onto the prior scores about 1; so does a loss whose reconstruction term is averaged over pixels.
# With latent_dim=2 instead of 3, correct small variants sometimes used one latent dimension only (0.4-0.5):
# the grader uses 3.  0.4 leaves a margin of more than 2x.
MAX_RECONSTRUCTION_RATIO = 0.4


def _latent_cases(rng):
    """(label, mean, log_variance, epsilon), each (batch, latent): hand-made, then random."""
    batch, latent = 5, 3
    zeros = np.zeros((batch, latent))
    eps = rng.standard_normal((batch, latent))
    return [
        ("mean 0, log_variance 0 (z is epsilon)", zeros, zeros, eps),
        (
            "log_variance = log 4 (standard deviation 2)",
            np.full((batch, latent), 1.5),
            np.full((batch, latent), math.log(4.0)),
            eps,
        ),
        ("epsilon 0 (z is the mean)", rng.normal(0, 2, (batch, latent)), rng.normal(0, 1, (batch, latent)), zeros),
        (
            "random values",
            rng.normal(0, 2, (batch, latent)),
            rng.uniform(-3, 2, (batch, latent)),
            rng.standard_normal((batch, latent)),
        ),
    ]


@pytest.mark.points(2)
def test_encoder_outputs(submission, rng):
    """The encoder maps (batch, data_dim) inputs to a mean and a log-variance of shape (batch, latent_dim)."""
    for data_dim, latent_dim in ((DATA_DIM, LATENT_DIM), (16, 5)):
        encoder = submission.build_encoder(data_dim, latent_dim)
        encode(encoder, rng.uniform(0, 1, (5, data_dim)).astype(np.float32), latent_dim=latent_dim)


@pytest.mark.points(1)
def test_decoder_outputs(submission, rng):
    """The decoder maps (batch, latent_dim) vectors to (batch, data_dim) pixel probabilities in [0, 1]."""
    for latent_dim, data_dim in ((LATENT_DIM, DATA_DIM), (5, 16)):
        decoder = submission.build_decoder(latent_dim, data_dim)
        outputs = decode(decoder, 5 * rng.standard_normal((6, latent_dim)), data_dim=data_dim)
        expect_in_range(
            outputs,
            0.0,
            1.0,
            what=f"build_decoder({latent_dim}, {data_dim})'s outputs (pixel probabilities) for large z",
            hint='the decoder\'s last layer: Dense(data_dim, activation="sigmoid")',
        )


@pytest.mark.points(2)
def test_sample_z(submission, rng):
    """sample_z(mean, log_variance, epsilon) is mean + exp(log_variance / 2) * epsilon, on hand cases."""
    for label, mean, log_variance, epsilon in _latent_cases(rng):
        args = [value.astype(np.float32) for value in (mean, log_variance, epsilon)]
        expect_close(
            read_array(submission.sample_z(*args), mean.shape, what=f"sample_z for {label}", hint="sample_z"),
            sample_z_reference(*args),
            rtol=RTOL,
            atol=ATOL,
            what=f"sample_z(mean, log_variance, epsilon) for {label}",
            hint="sample_z: the standard deviation is exp(log_variance / 2), not "
            "exp(log_variance), and it multiplies epsilon",
        )


@pytest.mark.points(2)
def test_gradients_flow_through_sampling(one_step, measure):
    """One training step moves the mean and the log-variance of an encoder that output 0: gradients flow through z."""
    learning_rate = one_step.learning_rate
    hint = (
        "sample_z: use TensorFlow operations only (tf.exp, +, *), never NumPy or tf.stop_gradient, so that the "
        "tape differentiates z = mean + exp(log_variance / 2) * epsilon with respect to both; and train_vae: "
        "apply the gradient to the encoder's variables as well as the decoder's"
    )
    for name, outputs in (("mean", one_step.mean_after), ("log-variance", one_step.log_variance_after)):
        moved = measure(f"largest_abs_{name}_in_lr", float(np.abs(outputs).max(initial=0.0)) / learning_rate)
        expect_at_least(
            moved,
            0.5,
            metric=f"after one train_vae step (learning rate {learning_rate:g}) from an encoder whose weights were "
            f"all 0, so that it output mean 0 and log-variance 0 where the KL term has no gradient, the "
            f"largest |{name}| it outputs for fresh images, in learning rates",
            baseline="Adam's first step moves every weight that gets a gradient by about one learning rate; only a "
            "gradient that came back through z can move it here",
            hint=hint,
        )


@pytest.mark.points(2)
def test_kl_divergence(submission, rng):
    """kl_divergence is the closed-form KL to N(0, I), one value per sample, summed over latent dimensions."""
    hint = "kl_divergence: -0.5 * sum(1 + log_variance - mean**2 - exp(log_variance)) over the latent axis"
    for label, mean, log_variance, _ in _latent_cases(rng):
        args = [value.astype(np.float32) for value in (mean, log_variance)]
        found = read_array(
            submission.kl_divergence(*args),
            (len(mean),),
            what=f"kl_divergence(mean, log_variance) for {label}, with mean of shape {mean.shape}",
            hint=hint + " (one value per sample: sum over axis -1 only)",
        )
        expect_close(
            found,
            kl_reference(*args),
            rtol=RTOL,
            atol=ATOL,
            what=f"kl_divergence(mean, log_variance) for {label}",
            hint=hint,
        )
        expect_in_range(
            found, -ATOL, math.inf, what=f"kl_divergence for {label} (a KL divergence is never negative)", hint=hint
        )


@pytest.mark.points(1)
def test_reconstruction_loss(submission, rng):
    """reconstruction_loss is the binary cross-entropy per sample, summed over the features."""
    x = blob_images(rng, 6)
    probabilities = rng.uniform(0.02, 0.98, size=x.shape).astype(np.float32)
    found = read_array(
        submission.reconstruction_loss(x, probabilities),
        (len(x),),
        what="reconstruction_loss(x, x_reconstructed) for 6 images of 64 pixels",
        hint="reconstruction_loss: one value per image (sum over the pixels only)",
    )
    expect_close(
        found,
        reconstruction_reference(x, probabilities),
        rtol=RTOL,
        atol=ATOL,
        what="reconstruction_loss(x, x_reconstructed)",
        hint="reconstruction_loss: -sum(x log p + (1 - x) log(1 - p)) over the 64 pixels, summed, not "
        "averaged (keras.losses.binary_crossentropy averages over the last axis)",
    )


@pytest.mark.points(2)
def test_vae_loss(submission, rng, measure):
    """vae_loss returns reconstruction + KL, each averaged over the batch, for the given epsilon."""
    encoder = submission.build_encoder(DATA_DIM, LATENT_DIM)
    decoder = submission.build_decoder(LATENT_DIM, DATA_DIM)
    x = blob_images(rng, 16)
    epsilon = (EPSILON_SCALE * rng.standard_normal((16, LATENT_DIM))).astype(np.float32)
    mean, log_variance = encode(encoder, x)
    z = sample_z_reference(mean, log_variance, epsilon)
    reconstruction = float(reconstruction_reference(x, decode(decoder, z)).mean())
    kl = float(kl_reference(mean, log_variance).mean())
    what = "vae_loss(encoder, decoder, x, epsilon)"
    loss, found_reconstruction, found_kl = expect_numbers(
        submission.vae_loss(encoder, decoder, x, epsilon),
        length=3,
        what=f"the value of {what}",
        hint="what vae_loss returns: a tuple (loss, reconstruction, kl) of three scalars",
    )
    errors = []
    for name, number, expected, hint in (
        (
            "reconstruction",
            found_reconstruction,
            reconstruction,
            (
                "the decoder's input (z = sample_z(mean, log_variance, epsilon) with the epsilon given) and the "
                "batch mean of reconstruction_loss"
            ),
        ),
        ("kl", found_kl, kl, "the batch mean of kl_divergence(mean, log_variance)"),
        ("loss", loss, reconstruction + kl, "loss = reconstruction + kl: the negative ELBO needs both terms"),
    ):
        expect_scalar_close(
            number,
            expected,
            rtol=RTOL,
            atol=ATOL,
            what=f"the {name} returned by {what}, computed from your encoder's and decoder's outputs,",
            hint=hint,
        )
        errors.append(abs(number - expected) / (abs(expected) + 1.0))
    worst = safe_max(errors, what="the relative errors")
    measure("vae_loss_worst_relative_error", worst)


@pytest.mark.points(1)
def test_history(trained, measure):
    """train_vae returns the loss, reconstruction and KL of every epoch, with loss = reconstruction + kl."""
    epochs = TRAINING["epochs"]
    call = f"train_vae(..., epochs={epochs})"
    history = expect_type(
        trained.history,
        dict,
        what=f"the return value of {call}",
        hint='what train_vae returns: {"loss": [...], "reconstruction": [...], "kl": [...]}',
    )
    series = {
        key: np.array(
            expect_numbers(
                history.get(key),
                length=epochs,
                what=f"history[{key!r}] of {call}",
                hint="what train_vae records: one float per epoch; NaN means the "
                "training diverged (the losses' signs, the learning rate)",
            )
        )
        for key in ("loss", "reconstruction", "kl")
    }
    expect_close(
        series["loss"],
        series["reconstruction"] + series["kl"],
        rtol=1e-3,
        atol=1e-3,
        what=f"history['loss'] of {call}, against history['reconstruction'] + history['kl']",
        hint="what train_vae records: the three values vae_loss returned, each averaged over the epoch",
    )
    measure("last_reconstruction", float(series["reconstruction"][-1]))
    measure("last_kl", float(series["kl"][-1]))


@pytest.mark.points(2)
def test_history_values(frozen):
    """With learning_rate=0, train_vae leaves both networks unchanged and records each epoch's mean batch loss."""
    expect_unchanged(
        frozen.weights_before,
        frozen.weights_after,
        what=f"the networks' weights after {frozen.call}",
        hint="train_vae: Adam(learning_rate=learning_rate) (an optimizer with learning rate 0 changes nothing)",
    )
    history = expect_type(
        frozen.history, dict, what=f"the return value of {frozen.call}", hint="what train_vae returns"
    )
    epochs = FROZEN_LEARNING["epochs"]
    for key, expected in (
        ("loss", frozen.expected_reconstruction),
        ("reconstruction", frozen.expected_reconstruction),
        ("kl", 0.0),
    ):
        expect_close(
            expect_numbers(
                history.get(key),
                length=epochs,
                what=f"history[{key!r}] of {frozen.call}",
                hint="what train_vae records: one float per epoch",
            ),
            np.full(epochs, expected),
            rtol=1e-4,
            atol=1e-4,
            what=f"history[{key!r}] of {frozen.call}, where the encoder outputs mean 0 and log-variance 0 "
            "and the decoder the same probabilities p for every z, so that each epoch's mean batch "
            "loss is the mean over all images of BCE(x, p), whatever the order",
            hint="what train_vae records: for each epoch, the mean over its batches of the values vae_loss "
            "returned (not the last batch's values)",
        )


@pytest.mark.points(1)
def test_training_step_size(one_step, measure):
    """One train_vae step with one batch is one Adam step of learning_rate: no weight moves by more."""
    learning_rate = one_step.learning_rate
    change = largest_change(one_step.weights_before, one_step.weights_after) / learning_rate
    expect_in_range(
        np.array([measure("largest_change_in_lr", change)]),
        0.9,
        1.001,
        what=f"the largest change of any weight of the encoder and decoder after train_vae(..., epochs=1, "
        f"batch_size={ONE_STEP_IMAGES}, learning_rate={learning_rate:g}) on {ONE_STEP_IMAGES} images "
        "(one batch, so one Adam step, which moves a weight by at most, and mostly about, one "
        "learning rate), in learning rates",
        hint="train_vae: one keras.optimizers.Adam(learning_rate=learning_rate), batches of batch_size "
        "rows, epochs passes over the data",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_elbo_falls(trained, measure):
    """The loss (the negative ELBO) falls during training."""
    history = expect_type(trained.history, dict, what="the return value of train_vae", hint="what train_vae returns")
    losses = history.get("loss")
    if isinstance(losses, list) and len(losses) >= 2 and all(isinstance(value, (int, float)) for value in losses):
        if losses[0] > 0:
            measure("relative_loss_drop", 1 - losses[-1] / losses[0])
        measure("first_loss", losses[0])
        measure("last_loss", losses[-1])
    expect_loss_decreases(
        losses,
        what='history["loss"] (the negative ELBO per epoch)',
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        hint="train_vae: the gradient of vae_loss applied to the variables of both networks",
    )


@pytest.mark.statistical
@pytest.mark.points(3)
def test_reconstruction_error(trained, training_images, rng, measure):
    """Fresh images are reconstructed far better than by predicting the mean image."""
    images = blob_images(rng, JUDGE_IMAGES)
    mean, _ = encode(trained.encoder, images, hint=TRAINED_HINT)
    reconstructions = decode(trained.decoder, mean, hint=TRAINED_HINT)
    error = measure("reconstruction_mse", float(np.mean((reconstructions - images) ** 2)))
    baseline = measure("mean_image_mse", float(np.mean((training_images.mean(axis=0) - images) ** 2)))
    ratio = measure("reconstruction_ratio", error / baseline)
    expect_at_most(
        ratio,
        MAX_RECONSTRUCTION_RATIO,
        metric=f"the mean squared error per pixel of reconstructing {JUDGE_IMAGES} fresh images (decoding the "
        f"encoder's mean), {error:.4g}, divided by that of predicting the mean training image, {baseline:.4g}",
        baseline="a VAE whose latent code carries no information scores about 1",
        hint="train_vae (both networks trained, epsilon used), the weight of the two terms in vae_loss "
        "(sums over pixels and latent dimensions, then means over the batch), and sample_z",
    )
