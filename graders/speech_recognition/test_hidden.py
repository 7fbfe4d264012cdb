"""Hidden checks of speech_recognition: feature values, accuracy on secret utterances, other sizes, optimizer use."""

from __future__ import annotations

import numpy as np
import pytest
import utterances
from mel_reference import log_mel
from utterances import LEARNING_RATE, STEP_BATCHES, STEP_UTTERANCES

from harness.checks import expect_at_least, expect_at_most, expect_close, expect_shape, model_outputs

# (sample_rate, frame_length, frame_step, num_mel_bins): the exercise's settings, then others that differ in
# every argument (a frame length that is not a power of 2: the FFT then has 512 points).
OTHER_FEATURE_SETTINGS = (16000, 400, 160, 40)
FEATURE_RTOL = 1e-4  # float32 against the float64 reference: observed differences are below 1e-5
FEATURE_ATOL = 1e-4
HELD_OUT_UTTERANCES = 200
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the lowest accuracy of a correct
# solution on 200 secret utterances is 0.995 (median 1.0). A model that averages the frames
# over time cannot tell a digit from its reverse and stays near 0.5; chance is 0.1.
MIN_HELD_OUT_ACCURACY = 0.8  # CALIBRATION.md (20 seeds, 4 correct solutions): min 0.995; frame average fails
MIN_SHIFTED_ACCURACY = (
    0.75  # correct min 0.92 (20 seeds); longer silences before and lengths outside the training range (CALIBRATION.md)
)
OTHER_SIZES = ((40, 5), (13, 3))  # (num_mel_bins, num_classes)
# The step checks train two fresh models for one epoch on 48 secret utterances: one full-batch step at learning
# rate 0.01, and 4 steps (batch_size 12) at 0.001, and compare the largest verified weight changes. With Adam
# every step moves the weight with the steadiest gradient by about the learning rate: 4 steps at a tenth of it
# move ~0.4 times as far as the one step (~4 when build_model ignores learning_rate), that is ~4 full-batch
# steps' worth at 0.001 (2 or 1 when train ignores batch_size: Keras' 32 makes 2 steps of both). RMSprop's
# later steps are shorter than its first: ~2.9. Thresholds from CALIBRATION.md, between both.
MAX_LEARNING_RATE_RATIO = 1.5  # correct 0.35-0.40 (20 seeds, RMSprop lowest); lr ignored ~4
MIN_STEPS = 2.5  # correct 3.5-4.0 (20 seeds, RMSprop lowest); batch_size ignored 1-2


@pytest.mark.points(2)
def test_features_match_reference(submission, rng):
    """log_mel_features matches a float64 reference on secret waveforms, for two sets of settings."""
    for settings in (
        (utterances.SAMPLE_RATE, utterances.FRAME_LENGTH, utterances.FRAME_STEP, 20),
        OTHER_FEATURE_SETTINGS,
    ):
        sample_rate = settings[0]
        samples = int(rng.integers(sample_rate // 4, sample_rate // 2))
        times = np.arange(samples) / sample_rate
        tones = rng.uniform(100, sample_rate / 2 - 100, size=3)
        waveform = np.sum(np.sin(2 * np.pi * tones[:, np.newaxis] * times), axis=0)
        waveform = (waveform + rng.normal(0.0, 0.2, size=samples)).astype(np.float32)
        call = f"log_mel_features(waveform of {samples} samples, {', '.join(map(str, settings))})"
        expect_close(
            expect_shape(submission.log_mel_features(waveform, *settings), (None, settings[3]), what=call),
            log_mel(waveform.astype(np.float64), *settings),
            rtol=FEATURE_RTOL,
            atol=FEATURE_ATOL,
            what=call,
            hint="the magnitude |stft| (not its square) with a Hann window, linear_to_mel_weight_matrix from 20 Hz to "
            "sample_rate / 2, then the natural log of mel + 1e-6; every argument passed through",
        )


def _accuracy(trained, rng, measure, timing, *, minimum: float, what: str) -> None:
    features, labels, _ = utterances.utterances(rng, HELD_OUT_UTTERANCES, timing)  # the labels stay here
    outputs = model_outputs(
        trained.model,
        features,
        shape=(HELD_OUT_UTTERANCES, utterances.NUM_CLASSES),
        what=f"model.predict_on_batch(x) for {HELD_OUT_UTTERANCES} utterances after train",
    )
    accuracy = measure("accuracy", float(np.mean(np.argmax(outputs, axis=1) == labels)))
    expect_at_least(
        accuracy,
        minimum,
        metric=f"accuracy on {HELD_OUT_UTTERANCES} secret {what} after {trained.call}",
        baseline="chance is 0.1, averaging the frames ~0.5; the reference reaches about 0.99",
        hint="a recurrent layer over masked frames, the learning rate and the epochs passed to model.fit",
    )


@pytest.mark.statistical
@pytest.mark.points(3)
def test_heldout_accuracy(trained, rng, measure):
    """After train, the model recognises secret utterances of the training kind."""
    _accuracy(trained, rng, measure, utterances.TRAINING_TIMING, minimum=MIN_HELD_OUT_ACCURACY, what="utterances")


@pytest.mark.statistical
@pytest.mark.points(2)
def test_shift_and_length(trained, rng, measure):
    """After train, the model recognises utterances shifted later in time and shorter or longer than in training."""
    _accuracy(
        trained,
        rng,
        measure,
        utterances.SHIFTED_TIMING,
        minimum=MIN_SHIFTED_ACCURACY,
        what="utterances with longer silences and other lengths",
    )


@pytest.mark.points(1)
def test_other_sizes(submission, rng):
    """build_model follows num_mel_bins and num_classes, for batches of any number of frames."""
    for num_mel_bins, num_classes in OTHER_SIZES:
        frames = int(rng.integers(5, 30))
        x = rng.normal(size=(3, frames, num_mel_bins)).astype(np.float32)
        expect_shape(
            submission.build_model(num_mel_bins, num_classes).predict_on_batch(x),
            (3, num_classes),
            what=f"model.predict_on_batch(x) for x of shape {x.shape} of build_model({num_mel_bins}, {num_classes})",
            hint="keras.Input(shape=(None, num_mel_bins)) and the units of the last Dense layer",
        )


def _step_changes(step_change) -> tuple[float, float]:
    """The largest weight changes of one step at the learning rate, and of 4 steps at a tenth of it."""
    one_step = step_change(learning_rate=LEARNING_RATE, batch_size=STEP_UTTERANCES)
    four_small_steps = step_change(learning_rate=LEARNING_RATE / 10, batch_size=STEP_UTTERANCES // STEP_BATCHES)
    return one_step, four_small_steps


@pytest.mark.statistical
@pytest.mark.points(1)
def test_learning_rate_honoured(step_change, measure):
    """build_model's optimizer uses learning_rate: 4 steps at a tenth of it move the weights less than 1 full step."""
    one_step, four_small_steps = _step_changes(step_change)
    expect_at_most(
        measure("weight change ratio", four_small_steps / one_step),
        MAX_LEARNING_RATE_RATIO,
        metric=f"the largest verified weight change of {STEP_BATCHES} steps of build_model(20, 10, "
        f"{LEARNING_RATE / 10:g}) divided by that of 1 step of build_model(20, 10, {LEARNING_RATE:g})",
        baseline=f"about {STEP_BATCHES / 10:g} with Adam; about {STEP_BATCHES} when the optimizer ignores "
        "learning_rate",
        hint="pass learning_rate to the optimizer: keras.optimizers.Adam(learning_rate=learning_rate)",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_train_honours_batch_size(step_change, measure):
    """train makes one optimizer step per mini-batch of batch_size utterances (measured on verified weights)."""
    one_step, four_small_steps = _step_changes(step_change)
    batch_size = STEP_UTTERANCES // STEP_BATCHES
    expect_at_least(
        measure("steps per epoch", four_small_steps / (one_step / 10)),
        MIN_STEPS,
        metric=f"the largest verified weight change of train(model, x, y, epochs=1, batch_size={batch_size}) on "
        f"{STEP_UTTERANCES} utterances at learning rate {LEARNING_RATE / 10:g}, in units of one full-batch step at "
        f"that learning rate (a tenth of one step at {LEARNING_RATE:g})",
        baseline=f"about {STEP_BATCHES} with Adam; about 1 or 2 when train ignores batch_size",
        hint="the batch_size argument of model.fit",
    )
