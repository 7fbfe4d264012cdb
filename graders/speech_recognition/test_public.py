"""Public checks of speech_recognition: feature shapes, the model's outputs and masking, its verified loss, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import utterances
from mel_reference import frame_count

from harness.checks import (
    CheckFailed,
    expect_close,
    expect_dtype,
    expect_finite,
    expect_loss_decreases,
    expect_numbers,
    expect_probabilities,
    expect_raises_in_submission,
    expect_shape,
    expect_type,
    model_outputs,
    verify_compiled_loss,
)

FEATURE_SETTINGS = (utterances.SAMPLE_RATE, utterances.FRAME_LENGTH, utterances.FRAME_STEP, utterances.NUM_MEL_BINS)
RECURRENT_LAYERS = ("LSTM", "GRU", "SimpleRNN", "Bidirectional", "RNN")
INTEGER_LABEL_LOSSES = ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
EXTRA_PADDING = 17  # zero frames appended to a batch that is already padded: the outputs must not move
MASKING_ATOL = 1e-5  # float32 round-off of the same computation in batches of other shapes
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the cross-entropy on the training
# utterances, computed here from the model's predictions before and after train, falls by the minimum noted
# there or more (the reference from ln(10) = 2.30 to ~0.1); a model that learns nothing stays near 2.30.
MIN_RELATIVE_LOSS_DROP = 0.5  # correct 0.984-0.999 over 20 seeds


@pytest.mark.points(2)
def test_feature_shape(submission, rng):
    """log_mel_features returns one float32 row of 20 mel bins per whole frame, for waveforms of any length."""
    for _ in range(2):
        waveform = utterances.waveform(int(rng.integers(0, utterances.NUM_CLASSES)), rng).astype(np.float32)
        call = f"log_mel_features(waveform of {len(waveform)} samples, {', '.join(map(str, FEATURE_SETTINGS))})"
        frames = frame_count(len(waveform), utterances.FRAME_LENGTH, utterances.FRAME_STEP)
        found = submission.log_mel_features(waveform, *FEATURE_SETTINGS)
        expect_shape(
            found,
            (frames, utterances.NUM_MEL_BINS),
            what=call,
            hint="tf.signal.stft(waveform, frame_length, frame_step) frames without padding the end; "
            "then num_mel_bins mel bands",
        )
        expect_dtype(found, np.float32, what=call, hint="return the float32 result of TensorFlow (.numpy())")
        expect_finite(found, what=call, hint="take the logarithm of mel + 1e-6, never of 0")


@pytest.mark.points(1)
def test_short_waveform_rejected(submission, rng):
    """log_mel_features raises ValueError for a waveform shorter than one frame."""
    waveform = rng.normal(0.0, 0.1, size=utterances.FRAME_LENGTH - 1).astype(np.float32)
    expect_raises_in_submission(
        lambda: submission.log_mel_features(waveform, *FEATURE_SETTINGS),
        accepted=("ValueError",),
        what=f"log_mel_features(waveform of {len(waveform)} samples, frame_length={utterances.FRAME_LENGTH})",
        hint="check len(waveform) >= frame_length and raise ValueError",
    )


@pytest.mark.points(2)
def test_output_probabilities(fresh_model, rng):
    """The model maps a padded batch of utterances to one probability per class, rows summing to 1."""
    features, _, _ = utterances.utterances(rng, 6)
    outputs = model_outputs(
        fresh_model,
        features,
        shape=(6, utterances.NUM_CLASSES),
        what=f"model.predict_on_batch(x) for x of shape {features.shape}",
        hint="one prediction per utterance: a recurrent layer that returns its last output (return_sequences=False) "
        "and a Dense layer of num_classes units",
    )
    expect_probabilities(outputs, what="model.predict_on_batch(x)", hint="the activation of the last layer (softmax)")


@pytest.mark.points(2)
def test_padding_is_masked(fresh_model, rng):
    """Zero frames after an utterance's end never change the model's output for it."""
    features, _, lengths = utterances.utterances(rng, 6)
    shape = (len(features), utterances.NUM_CLASSES)
    what = f"model.predict_on_batch(x) for x of shape {features.shape}"
    outputs = model_outputs(fresh_model, features, shape=shape, what=what)
    padded = np.concatenate([features, np.zeros((len(features), EXTRA_PADDING, features.shape[2]), np.float32)], 1)
    expect_close(
        model_outputs(
            fresh_model, padded, shape=shape, what=f"model.predict_on_batch(x) for x of shape {padded.shape}"
        ),
        outputs,
        rtol=0.0,
        atol=MASKING_ATOL,
        what=f"the outputs for the same utterances with {EXTRA_PADDING} more zero frames appended",
        hint="keras.layers.Masking(mask_value=0.0) before the recurrent layer",
    )
    shortest = int(np.argmin(lengths))
    alone = features[shortest : shortest + 1, : lengths[shortest]]
    expect_close(
        model_outputs(
            fresh_model, alone, shape=(1, shape[1]), what=f"model.predict_on_batch(x) for x of shape {alone.shape}"
        ),
        outputs[shortest : shortest + 1],
        rtol=0.0,
        atol=MASKING_ATOL,
        what=f"the output for an utterance of {lengths[shortest]} frames alone, without padding, and in its batch",
        hint="keras.layers.Masking(mask_value=0.0) before the recurrent layer",
    )


@pytest.mark.points(1)
def test_recurrent_layer(verified_fresh_model):
    """The model, verified on secret utterances, reads the frames with a recurrent layer (LSTM, GRU, ...)."""
    classes = verified_fresh_model.layer_classes()
    if not any(name in RECURRENT_LAYERS for name in classes):
        raise CheckFailed(
            f"the model should read the frames with a recurrent layer (keras.layers.LSTM or GRU); its layers are: "
            f"{', '.join(classes) or 'none'}. Averaging or flattening the frames loses their order. "
            "Look at build_model."
        )


def _claimed_loss(compile_config: dict | None) -> tuple[str | None, bool]:
    """The loss a model says it was compiled with: its name and its from_logits setting (verified later)."""
    loss = (compile_config or {}).get("loss")
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, dict):
        settings = loss.get("config")
        return str(loss.get("class_name")), isinstance(settings, dict) and settings.get("from_logits") is True
    return None, False


@pytest.mark.points(2)
def test_compiled(fresh_model, verified_fresh_model, rng):
    """build_model compiles with a loss for integer labels on probabilities, verified on secret utterances."""
    what = f"build_model({utterances.NUM_MEL_BINS}, {utterances.NUM_CLASSES})"
    name, from_logits = _claimed_loss(verified_fresh_model.compile_config)
    if (name is not None and name not in INTEGER_LABEL_LOSSES) or from_logits:
        problem = (
            "told from_logits=True, so it takes the softmax probabilities for logits and applies a second softmax"
            if name in INTEGER_LABEL_LOSSES
            else f"{name!r}, which does not take integer labels 0 .. num_classes - 1"
        )
        raise CheckFailed(
            f"{what} is compiled with a loss {problem}. Compile with keras.losses.SparseCategoricalCrossentropy() "
            '(from_logits=False, the default) or loss="sparse_categorical_crossentropy".'
        )
    features, labels, _ = utterances.utterances(rng, 12)
    model_outputs(  # the rebuilt loss is computed only on outputs of the contract's shape
        fresh_model,
        features,
        shape=(len(labels), utterances.NUM_CLASSES),
        what=f"model.predict_on_batch(x) for x of shape {features.shape}",
        hint="one prediction per utterance: a recurrent layer with return_sequences=False, then a Dense layer",
    )
    verify_compiled_loss(verified_fresh_model, fresh_model, features, labels, what=what)


@pytest.mark.points(1)
def test_history_per_epoch(trained):
    """train returns the history dict, with one finite loss per epoch."""
    call = trained.call
    history = expect_type(
        trained.history, dict, what=f"the return value of {call}", hint="return the .history dict of what fit returns"
    )
    expect_numbers(
        history.get("loss"),
        what=f'history["loss"] returned by {call}',
        length=trained.epochs,
        hint="the epochs argument of model.fit, and return fitted.history",
    )


def _cross_entropy(outputs, labels: np.ndarray, *, what: str) -> float:
    """The mean cross-entropy of the probabilities ``outputs`` for integer ``labels``, computed here."""
    probabilities = expect_probabilities(
        expect_shape(outputs, (len(labels), utterances.NUM_CLASSES), what=what),
        what=what,
        hint="the activation of the last layer (softmax)",
    )
    chosen = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(chosen, 1e-7, 1.0))))


@pytest.mark.statistical
@pytest.mark.points(2)
def test_loss_decreases(trained, training_set, measure):
    """The model's loss on its training utterances, computed by the grader, falls during train."""
    features, labels, _ = training_set
    what = f"model.predict_on_batch(x) for the {len(labels)} training utterances"
    before = _cross_entropy(trained.outputs_before, labels, what=f"{what} before train")
    after = _cross_entropy(trained.model.predict_on_batch(features), labels, what=f"{what} after train")
    if math.isfinite(before) and before > 0:
        measure("relative loss drop", 1 - after / before)
    expect_loss_decreases(
        [before, after],
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        what=f"the cross-entropy of the model's predictions on its {len(labels)} training utterances, before and "
        "after train",
        hint="the learning rate, the loss and the labels given to model.fit",
    )
