"""Hidden checks of the gan exercise: repeated steps do what each network wants, and train_gan honours its arguments."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FROZEN
from gan_reference import DATA_DIM, LATENT_DIM, discriminator_loss_reference, generator_loss_reference

from harness.checks import (
    expect_at_least,
    expect_at_most,
    expect_numbers,
    expect_runs_differ,
    expect_scalar,
    expect_type,
    model_outputs,
)

DISCRIMINATOR_STEPS = 40
DISCRIMINATOR_LEARNING_RATE = 3e-3
GENERATOR_STEPS = 20
GENERATOR_LEARNING_RATE = 3e-3
BATCH = 64
EVALUATION_POINTS = 500
FIT_POINTS = 256
FIT_LOGIT = 3.0
FIT_EPOCHS = 8

# test_discriminator_learns: after 60 discriminator steps (Adam, learning rate 1e-3) on target points against an
# untrained generator's points, judged on fresh points of both, the outputs read as logits.  Calibration
# (CALIBRATION.md, 20 seeds): the reference classifies at least 99.8% of fresh points right and its loss falls
# from ~1.4 to 0.13-0.26.  A discriminator ending in a sigmoid outputs probabilities, all positive, so it calls
# every point real (accuracy 0.5); swapped labels invert it (accuracy ~0); one that never sees real points does
# not learn.
MAX_DISCRIMINATOR_LOSS = 0.7
MIN_DISCRIMINATOR_ACCURACY = 0.9

# test_generator_fools_discriminator: the discriminator is first fitted by Keras itself (compile("adam", "mse"),
# 20 epochs of regression to logits +3 for target points and -3 for the untrained generator's points), so the
# check does not depend on discriminator_step.  Then 30 generator steps against it, fixed, must lower the
# generator's loss on fresh noise.  Calibration (CALIBRATION.md, 20 seeds): the reference lowers it by 74-88%
# (from ~3.0); the loss with the wrong sign raises it.  Requiring a fall of 20% keeps a wide margin.
# (Against an untrained, nearly flat discriminator the fall was 1-50%, too close to any threshold.)
MIN_GENERATOR_LOSS_RELATIVE_DROP = 0.2


def _noise(rng, count):
    return rng.standard_normal((count, LATENT_DIM)).astype(np.float32)


@pytest.mark.statistical
@pytest.mark.points(2)
def test_discriminator_learns(submission, target, rng, measure):
    """Repeated discriminator steps teach the discriminator to tell target points from generated ones."""
    generator = submission.build_generator(LATENT_DIM, DATA_DIM)
    discriminator = submission.build_discriminator(DATA_DIM)
    optimizer = submission.make_optimizer(DISCRIMINATOR_LEARNING_RATE)
    real_pool = target.sample(rng, 512)
    first = None
    for step in range(DISCRIMINATOR_STEPS):
        real = real_pool[rng.integers(0, len(real_pool), size=BATCH)]
        loss = expect_scalar(
            submission.discriminator_step(generator, discriminator, optimizer, real, _noise(rng, BATCH)),
            what=f"the loss returned by discriminator_step (step {step + 1})",
            hint="discriminator_step",
        )
        first = loss if first is None else first
    real = target.sample(rng, EVALUATION_POINTS)
    fakes = model_outputs(
        generator,
        _noise(rng, EVALUATION_POINTS),
        shape=(EVALUATION_POINTS, DATA_DIM),
        what="generator.predict_on_batch(noise)",
        hint="build_generator",
    ).astype(np.float32)
    real_logits = model_outputs(
        discriminator,
        real,
        shape=(EVALUATION_POINTS, 1),
        what="discriminator.predict_on_batch(real points)",
        hint="build_discriminator",
    )
    fake_logits = model_outputs(
        discriminator,
        fakes,
        shape=(EVALUATION_POINTS, 1),
        what="discriminator.predict_on_batch(generated points)",
        hint="build_discriminator",
    )
    loss = measure("fresh_discriminator_loss", discriminator_loss_reference(real_logits, fake_logits))
    accuracy = measure("fresh_accuracy", float((np.mean(real_logits > 0) + np.mean(fake_logits < 0)) / 2))
    expect_at_least(
        accuracy,
        MIN_DISCRIMINATOR_ACCURACY,
        metric=f"after {DISCRIMINATOR_STEPS} discriminator steps, the share of fresh points the discriminator "
        "classifies right (logit > 0 for target points, < 0 for generated ones)",
        baseline="guessing gets 0.5, and so does a discriminator whose output is a probability (all positive)",
        hint="the labels in discriminator_loss (real 1, fake 0) and the discriminator's last layer (a logit: "
        "Dense(1) with no sigmoid)",
    )
    expect_at_most(
        loss,
        MAX_DISCRIMINATOR_LOSS,
        metric=f"after {DISCRIMINATOR_STEPS} discriminator steps, its loss on fresh points, computed from its "
        "outputs read as logits",
        baseline=f"it started near 2 ln 2 = 1.386 (your first step returned {first:.4g}); a discriminator that "
        "ends in a sigmoid cannot go below 1.0",
        hint="the discriminator's last layer (no sigmoid: the losses take logits) and discriminator_step",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_generator_fools_discriminator(submission, target, rng, measure):
    """Repeated generator steps against a fixed, trained discriminator lower the generator's loss on fresh noise."""
    generator = submission.build_generator(LATENT_DIM, DATA_DIM)
    discriminator = submission.build_discriminator(DATA_DIM)
    optimizer = submission.make_optimizer(GENERATOR_LEARNING_RATE)
    real = target.sample(rng, FIT_POINTS)
    fakes = model_outputs(
        generator,
        _noise(rng, FIT_POINTS),
        shape=(FIT_POINTS, DATA_DIM),
        what="generator.predict_on_batch(noise)",
        hint="build_generator",
    ).astype(np.float32)
    logits = np.concatenate([np.full((FIT_POINTS, 1), FIT_LOGIT), np.full((FIT_POINTS, 1), -FIT_LOGIT)])
    discriminator.compile(optimizer="adam", loss="mse")
    discriminator.fit(
        np.concatenate([real, fakes]), logits.astype(np.float32), epochs=FIT_EPOCHS, batch_size=BATCH, verbose=0
    )
    evaluation_noise = _noise(rng, EVALUATION_POINTS)

    def loss_on_fresh_noise() -> float:
        fakes = model_outputs(
            generator,
            evaluation_noise,
            shape=(EVALUATION_POINTS, DATA_DIM),
            what="generator.predict_on_batch(noise)",
            hint="build_generator",
        ).astype(np.float32)
        return generator_loss_reference(
            model_outputs(
                discriminator,
                fakes,
                shape=(EVALUATION_POINTS, 1),
                what="discriminator.predict_on_batch(generated points)",
                hint="build_discriminator",
            )
        )

    before = loss_on_fresh_noise()
    for step in range(GENERATOR_STEPS):
        expect_scalar(
            submission.generator_step(generator, discriminator, optimizer, _noise(rng, BATCH)),
            what=f"the loss returned by generator_step (step {step + 1})",
            hint="generator_step",
        )
    after = loss_on_fresh_noise()
    drop = measure("generator_loss_relative_drop", (before - after) / before)
    expect_at_least(
        drop,
        MIN_GENERATOR_LOSS_RELATIVE_DROP,
        metric=f"the relative fall of the generator's loss on fresh noise over {GENERATOR_STEPS} generator steps "
        f"(from {before:.4g} to {after:.4g}) against a fixed discriminator trained to tell target points "
        "from the generator's",
        baseline="the generator should move its points to where the discriminator calls them real",
        hint="the sign of generator_loss (minimise BCE(1, fake_logits)) and the gradient in generator_step",
    )


@pytest.mark.points(1)
def test_train_gan_honours_arguments(frozen):
    """train_gan honours steps, discriminator_steps and seed (two frozen runs, seeds s and s + 1)."""
    steps, discriminator_steps = FROZEN["steps"], FROZEN["discriminator_steps"]
    runs = []
    for seed, history in zip(frozen.seeds, frozen.histories):
        call = (
            f"train_gan(..., steps={steps}, batch_size={FROZEN['batch_size']}, "
            f"discriminator_steps={discriminator_steps}, learning_rate=0, seed={seed})"
        )
        history = expect_type(history, dict, what=f"the return value of {call}", hint="what train_gan returns")
        runs.append(
            [
                expect_numbers(
                    history.get(key),
                    length=length,
                    what=f"history[{key!r}] of {call}",
                    hint="how train_gan uses steps and discriminator_steps",
                )
                for key, length in (("discriminator_loss", steps * discriminator_steps), ("generator_loss", steps))
            ]
        )
    expect_runs_differ(
        runs[0][0],
        runs[1][0],
        what=f"train_gan with seed={frozen.seeds[0]} and seed={frozen.seeds[1]} (same data, same "
        "frozen networks) recorded exactly the same discriminator losses, so the seed has no "
        "effect on the batches",
        hint="train_gan: draw the batches and the noise from np.random.default_rng(seed)",
    )
