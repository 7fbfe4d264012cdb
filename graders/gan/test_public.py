"""Public checks of the gan exercise: shapes, the two losses, what each update step changes, and the trained result."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gan_reference import (
    DATA_DIM,
    JUDGE_SAMPLES,
    LATENT_DIM,
    TRAINING,
    discriminator_loss_reference,
    energy_distance,
    generator_loss_reference,
    largest_change,
    model_outputs,
    weights_of,
)

from harness.checks import expect_at_most, expect_finite, expect_scalar, expect_type
from harness.checks import CheckFailed

# A loss returned by a step or a loss function is compared with the grader's float64 cross-entropy of the
# same logits.  float32 arithmetic is off by about 1e-7 relative (CALIBRATION.md: at most 1.3e-7 on 20 seeds);
# the mistakes aimed at are off by 0.05 or more (swapped labels, a missing term, sigmoid before a clipped
# cross-entropy at logits of +-30, the wrong sign).
LOSS_RTOL = 1e-4
LOSS_ATOL = 1e-5

# test_samples_approach_target: energy distance between the trained generator's samples and fresh target
# points, divided by the energy distance between standard normal points (where an untrained network's
# outputs sit) and the same target points.  Calibration (CALIBRATION.md, 20 seeds): the reference reaches
# 0.0018-0.084 (median 0.012); GAN training oscillates, so its worst seeds sit 7x above its median.
# Variants (learning rate 1e-3 for 1,200 steps, batches of 128, one discriminator step per iteration) stay
# below 0.14.  An untrained generator scores about 1; one that ran away scores more.  0.25 keeps a margin.
MAX_ENERGY_RATIO = 0.25


def _probability_hint(*outputs: np.ndarray) -> str:
    """A hint for discriminators that end in a sigmoid: their outputs all lie in (0, 1)."""
    values = np.concatenate([np.ravel(output) for output in outputs])
    if values.size and values.min() > 0.0 and values.max() < 1.0:
        return (" Every output of your discriminator lies in (0, 1): it looks like it ends in a sigmoid. Keras's "
                "cross-entropy then quietly uses the logits under the sigmoid, so the loss no longer matches what "
                "the discriminator outputs: end it with Dense(1) and no activation.")
    return ""


def _fresh(submission):
    """A new generator, discriminator and optimizer (build_generator(4, 2), build_discriminator(2))."""
    return (submission.build_generator(LATENT_DIM, DATA_DIM), submission.build_discriminator(DATA_DIM),
            submission.make_optimizer(1e-3))


@pytest.mark.points(2)
def test_generator_shape(submission, rng):
    """The generator maps (batch, latent_dim) noise to finite (batch, data_dim) points."""
    for latent_dim, data_dim in ((LATENT_DIM, DATA_DIM), (3, 5)):
        generator = submission.build_generator(latent_dim, data_dim)
        noise = rng.standard_normal((7, latent_dim)).astype(np.float32)
        points = model_outputs(generator, noise, columns=data_dim,
                               what=f"build_generator({latent_dim}, {data_dim}).predict_on_batch(noise) for noise "
                                    f"of shape (7, {latent_dim})",
                               hint="the input shape (latent_dim) and the units of the last Dense layer (data_dim)")
        expect_finite(points, what="the generator's output", hint="build_generator")


@pytest.mark.points(1)
def test_generator_output_unbounded(submission, rng):
    """The generator's last layer is linear: its outputs are not squashed into [-1, 1]."""
    generator = submission.build_generator(LATENT_DIM, DATA_DIM)
    noise = 50 * rng.standard_normal((64, LATENT_DIM)).astype(np.float32)
    points = model_outputs(generator, noise, columns=DATA_DIM, what="generator.predict_on_batch(50 * noise)",
                           hint="build_generator")
    largest = float(np.abs(points).max())
    if not largest > 2.0:
        raise CheckFailed(
            f"for noise 50 times larger than usual, the generator's outputs stay within ±{largest:.3g}; the target "
            "points lie 2 to 4 away from the origin and are not scaled to [-1, 1], so the output must be "
            "unbounded. Look at the activation of the generator's last layer: Dense(data_dim) with no activation "
            "(not tanh or sigmoid).")


@pytest.mark.points(1)
def test_discriminator_shape(submission, rng):
    """The discriminator maps (batch, data_dim) points to finite (batch, 1) logits."""
    for data_dim in (DATA_DIM, 5):
        discriminator = submission.build_discriminator(data_dim)
        points = rng.normal(0.0, 3.0, size=(7, data_dim)).astype(np.float32)
        logits = model_outputs(discriminator, points, columns=1,
                               what=f"build_discriminator({data_dim}).predict_on_batch(x) for x of shape "
                                    f"(7, {data_dim})",
                               hint="the input shape (data_dim) and the last layer, Dense(1)")
        expect_finite(logits, what="the discriminator's output", hint="build_discriminator")


def _loss_cases(rng):
    """(label, real logits, fake logits): random, confident, fooled, and logits as large as +-30."""
    return [
        ("random logits", rng.normal(0.0, 2.0, size=(16, 1)), rng.normal(0.0, 2.0, size=(16, 1))),
        ("a confident, right discriminator", rng.uniform(3, 6, size=(8, 1)), rng.uniform(-6, -3, size=(8, 1))),
        ("a fooled discriminator", rng.uniform(-6, -3, size=(8, 1)), rng.uniform(3, 6, size=(8, 1))),
        ("logits of +-30", np.array([[30.0], [-30.0], [25.0], [-2.0]]), np.array([[-30.0], [30.0], [1.0], [-25.0]])),
    ]


@pytest.mark.points(2)
def test_discriminator_loss(submission, rng, measure):
    """discriminator_loss is the binary cross-entropy from logits, real labelled 1 and fake 0, on hand cases."""
    worst = 0.0
    for label, real, fake in _loss_cases(rng):
        real, fake = real.astype(np.float32), fake.astype(np.float32)
        what = f"discriminator_loss(real_logits, fake_logits) for {label}"
        found = expect_scalar(submission.discriminator_loss(real, fake), what=what, hint="discriminator_loss")
        expected = discriminator_loss_reference(real, fake)
        worst = max(worst, abs(found - expected) / max(abs(expected), 1.0))
        if not abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected):
            raise CheckFailed(
                f"{what} is {found:.6g}, but mean(BCE(1, real_logits)) + mean(BCE(0, fake_logits)) is "
                f"{expected:.6g}. Look at discriminator_loss: real points have label 1 and generated points "
                "label 0, each term is averaged over its batch and the two are added, and the cross-entropy is "
                "computed from the logits (BinaryCrossentropy(from_logits=True), not a sigmoid followed by a log).")
    measure("discriminator_loss_worst_relative_error", worst)


@pytest.mark.points(1)
def test_generator_loss(submission, rng):
    """generator_loss is the binary cross-entropy from logits of generated points against label 1."""
    for label, _, fake in _loss_cases(rng):
        fake = fake.astype(np.float32)
        what = f"generator_loss(fake_logits) for {label}"
        found = expect_scalar(submission.generator_loss(fake), what=what, hint="generator_loss")
        expected = generator_loss_reference(fake)
        if not abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected):
            raise CheckFailed(
                f"{what} is {found:.6g}, but mean(BCE(1, fake_logits)) is {expected:.6g}. Look at generator_loss: "
                "the generator wants its points called real, so it minimises the cross-entropy against label 1 "
                "(from logits), a positive number that falls as the discriminator is fooled.")


@pytest.mark.points(3)
def test_discriminator_step(submission, target, rng, measure):
    """discriminator_step returns the discriminator's loss and updates the discriminator only."""
    generator, discriminator, optimizer = _fresh(submission)
    real = target.sample(rng, 32)
    noise = rng.standard_normal((32, LATENT_DIM)).astype(np.float32)
    real_logits = model_outputs(discriminator, real, columns=1, what="discriminator.predict_on_batch(real)",
                                hint="build_discriminator")
    fakes = model_outputs(generator, noise, columns=DATA_DIM, what="generator.predict_on_batch(noise)",
                          hint="build_generator")
    fake_logits = model_outputs(discriminator, fakes.astype(np.float32), columns=1,
                                what="discriminator.predict_on_batch(generator(noise))", hint="build_discriminator")
    expected = discriminator_loss_reference(real_logits, fake_logits)
    generator_before = weights_of(submission, generator, what="the generator", rng=rng)
    discriminator_before = weights_of(submission, discriminator, what="the discriminator", rng=rng)

    what = "discriminator_step(generator, discriminator, optimizer, real_batch, noise)"
    found = expect_scalar(submission.discriminator_step(generator, discriminator, optimizer, real, noise),
                        what=f"the loss returned by {what}", hint="what discriminator_step returns")
    measure("discriminator_step_relative_loss_error", abs(found - expected) / max(abs(expected), 1.0))
    if not abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected):
        raise CheckFailed(
            f"{what} returned {found:.6g}, but the discriminator's loss on that real batch and on "
            f"generator(noise), computed from its outputs before the update, is {expected:.6g}. Look at "
            "discriminator_step: the fake batch is generator(noise), the discriminator sees the real batch and the "
            "fake batch, and the loss is discriminator_loss(real_logits, fake_logits), taken before the update."
            + _probability_hint(real_logits, fake_logits))
    generator_change = largest_change(generator_before, weights_of(submission, generator, what="the generator", rng=rng))
    if generator_change != 0.0:
        raise CheckFailed(
            f"discriminator_step changed the generator's weights (largest change {generator_change:.3g}); it must "
            "update the discriminator only. Look at the variables whose gradients you take and apply: "
            "discriminator.trainable_variables only.")
    discriminator_change = largest_change(discriminator_before,
                                          weights_of(submission, discriminator, what="the discriminator", rng=rng))
    if not discriminator_change > 0.0:
        raise CheckFailed(
            "discriminator_step left the discriminator's weights unchanged; it should make one optimizer step. "
            "Look at tape.gradient(loss, discriminator.trainable_variables) and optimizer.apply_gradients.")


@pytest.mark.points(3)
def test_generator_step(submission, rng, measure):
    """generator_step returns the generator's loss and updates the generator only."""
    generator, discriminator, optimizer = _fresh(submission)
    noise = rng.standard_normal((32, LATENT_DIM)).astype(np.float32)
    fakes = model_outputs(generator, noise, columns=DATA_DIM, what="generator.predict_on_batch(noise)",
                          hint="build_generator")
    fake_logits = model_outputs(discriminator, fakes.astype(np.float32), columns=1,
                                what="discriminator.predict_on_batch(generator(noise))", hint="build_discriminator")
    expected = generator_loss_reference(fake_logits)
    generator_before = weights_of(submission, generator, what="the generator", rng=rng)
    discriminator_before = weights_of(submission, discriminator, what="the discriminator", rng=rng)

    what = "generator_step(generator, discriminator, optimizer, noise)"
    found = expect_scalar(submission.generator_step(generator, discriminator, optimizer, noise),
                        what=f"the loss returned by {what}", hint="what generator_step returns")
    measure("generator_step_relative_loss_error", abs(found - expected) / max(abs(expected), 1.0))
    if not abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected):
        raise CheckFailed(
            f"{what} returned {found:.6g}, but the generator's loss on generator(noise), computed from the "
            f"discriminator's outputs before the update, is {expected:.6g}. Look at generator_step: the loss is "
            "generator_loss(discriminator(generator(noise))), taken before the update."
            + _probability_hint(fake_logits))
    discriminator_change = largest_change(discriminator_before,
                                          weights_of(submission, discriminator, what="the discriminator", rng=rng))
    if discriminator_change != 0.0:
        raise CheckFailed(
            f"generator_step changed the discriminator's weights (largest change {discriminator_change:.3g}); it "
            "must update the generator only. Look at the variables whose gradients you take and apply: "
            "generator.trainable_variables only.")
    if not largest_change(generator_before, weights_of(submission, generator, what="the generator", rng=rng)) > 0.0:
        raise CheckFailed(
            "generator_step left the generator's weights unchanged; it should make one optimizer step. Look at "
            "tape.gradient(loss, generator.trainable_variables): the generator must run inside the tape, or "
            "its gradients are None.")


@pytest.mark.points(1)
def test_history(trained, measure):
    """train_gan returns every discriminator and generator loss, as finite numbers."""
    measure("train_seconds", trained.seconds)
    steps, discriminator_steps = TRAINING["steps"], TRAINING["discriminator_steps"]
    call = f"train_gan(..., steps={steps}, discriminator_steps={discriminator_steps})"
    history = expect_type(trained.history, dict, what=f"the return value of {call}",
                          hint='what train_gan returns: {"discriminator_loss": [...], "generator_loss": [...]}')
    for key, length in (("discriminator_loss", steps * discriminator_steps), ("generator_loss", steps)):
        losses = history.get(key)
        if not isinstance(losses, (list, tuple)):
            raise CheckFailed(f"the history returned by train_gan should have a {key!r} list; its keys are "
                              f"{sorted(map(str, history))}. Look at what train_gan returns.")
        if len(losses) != length:
            raise CheckFailed(
                f"{call} should record {length} values in history[{key!r}], one per {key.split('_')[0]} update, "
                f"but it has {len(losses)}. Look at the loops of train_gan: {discriminator_steps} discriminator "
                f"steps, then one generator step, {steps} times.")
        if not all(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                   for value in losses):
            bad = next(value for value in losses if not (isinstance(value, (int, float)) and math.isfinite(value)))
            raise CheckFailed(f"history[{key!r}] should hold finite floats, but it holds {bad!r}. Look at the "
                              "learning rate, the losses, and float(loss) when you record them.")
        measure(f"last_100_mean_{key}", float(np.mean(losses[-100:])))


@pytest.mark.points(3)
def test_samples_approach_target(trained, target, rng, measure):
    """After train_gan, the generator's samples are close to the target distribution (energy distance)."""
    samples = model_outputs(trained.generator, trained.judge_noise, columns=DATA_DIM,
                            what="the trained generator's predict_on_batch(noise)",
                            hint="build_generator and train_gan")
    expect_finite(samples, what="the trained generator's samples", hint="the learning rate and the losses")
    points = target.sample(rng, JUDGE_SAMPLES)
    distance = measure("energy_distance", energy_distance(samples, points))
    untrained = measure("energy_distance_of_standard_normal",
                        energy_distance(rng.standard_normal(points.shape), points))
    measure("energy_distance_before_training", energy_distance(trained.initial_samples, points))
    measure("energy_distance_between_two_target_samples", energy_distance(target.sample(rng, JUDGE_SAMPLES), points))
    ratio = measure("energy_ratio", distance / untrained)
    generated_mean = np.round(samples.mean(axis=0), 2).tolist()
    expect_at_most(
        ratio, MAX_ENERGY_RATIO,
        metric=f"the energy distance between {JUDGE_SAMPLES} generated points and {JUDGE_SAMPLES} fresh target "
               f"points ({distance:.3g}), divided by that of standard normal points ({untrained:.3g})",
        baseline=f"the target's mean is {np.round(target.mean, 2).tolist()}, the generated points' mean "
                 f"{generated_mean}; the generator before training scored "
                 f"{energy_distance(trained.initial_samples, points) / untrained:.3g}",
        hint="train_gan (both steps alternate, the optimizers are used, the loop runs steps times) and the signs of "
             "the two losses")
