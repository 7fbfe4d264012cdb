"""Public checks of the cnn exercise: the model's outputs and structure, and what train() returns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.checks import (
    expect_loss_decreases,
    expect_probabilities,
    expect_shape,
    expect_type,
    verify_compiled_loss,
    verify_keras_model,
)
from harness.checks import CheckFailed

CONVOLUTION_LAYERS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
# Calibration (CALIBRATION.md, 20 seeds): the reference's loss falls by 0.976-0.999 from the first to the
# last epoch; a CNN like the seed questions' with Adam's default learning rate by 0.73-0.85; a model that
# learns nothing stays near ln(4) = 1.39 (drop ~0). 30% leaves a wide margin for slower correct set-ups.
MIN_RELATIVE_LOSS_DROP = 0.3


def _as_list(values) -> list | None:
    """Return a history entry as a list (Keras gives a list; an array or tuple is accepted), else None."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return values.tolist()
    if isinstance(values, (list, tuple)):
        return list(values)
    return None


@pytest.mark.points(2)
def test_output_shape(submission, fresh_model, task, rng):
    """The model maps a batch of images to one output per class (4 and 10 classes)."""
    x, _ = task.images(rng, 5)
    for num_classes, model in ((task.num_classes, fresh_model),
                               (10, submission.build_model(task.input_shape, 10))):
        outputs = model.predict_on_batch(x)
        expect_shape(outputs, (5, num_classes),
                     what=f"model.predict_on_batch(x) for 5 images of build_model({task.input_shape}, "
                          f"{num_classes})",
                     hint="the number of units of the last Dense layer (num_classes)")


@pytest.mark.points(2)
def test_probabilities(fresh_model, task, rng, measure):
    """The model outputs class probabilities: each row in [0, 1] and summing to 1."""
    x, _ = task.images(rng, 16)
    outputs = expect_shape(fresh_model.predict_on_batch(x), (16, None),
                           what="model.predict_on_batch(x) for 16 images")
    measure("max |row sum - 1|", float(np.abs(outputs.sum(axis=1) - 1).max()) if outputs.size else math.nan)
    expect_probabilities(outputs, what="model.predict_on_batch(x)", hint="the activation of the last layer (softmax)")


@pytest.mark.points(2)
def test_conv_and_pooling(submission, fresh_model, task, rng):
    """The model has a Conv2D layer, a pooling layer and a Dense layer."""
    x, _ = task.images(rng, 8)
    classes = verify_keras_model(submission, fresh_model, probe_inputs=x,
                                 what=f"build_model({task.input_shape}, {task.num_classes})").layer_classes()
    missing = []
    if not any(name in CONVOLUTION_LAYERS for name in classes):
        missing.append("a convolution layer (keras.layers.Conv2D)")
    if not any("Pooling" in name for name in classes):
        missing.append("a pooling layer (e.g. keras.layers.MaxPooling2D or GlobalAveragePooling2D)")
    if "Dense" not in classes:
        missing.append("a fully connected layer (keras.layers.Dense) for the classification head")
    if missing:
        raise CheckFailed(f"the model should have {' and '.join(missing)}; its layers are: "
                          f"{', '.join(classes) or 'none'}. Look at build_model.")


@pytest.mark.points(1)
def test_compiled(submission, fresh_model, task, rng):
    """build_model returns a compiled model (optimizer and loss set)."""
    x, labels = task.images(rng, 16)
    what = f"build_model({task.input_shape}, {task.num_classes})"
    verified = verify_keras_model(submission, fresh_model, probe_inputs=x, what=what)
    verify_compiled_loss(verified, fresh_model, x, labels, what=what)


@pytest.mark.points(1)
def test_history_per_epoch(trained, task, measure):
    """train returns the history dict, with one finite loss per epoch."""
    measure("train seconds", trained.seconds)
    history = expect_type(trained.history, dict, what=f"the return value of train(model, x, y, epochs={task.epochs})",
                          hint="return the dict in the .history attribute of what model.fit returns")
    losses = _as_list(history.get("loss"))
    if losses is None:
        raise CheckFailed(f"train's history should have a \"loss\" list; its keys are {sorted(map(str, history))}."
                          " Look at what train returns.")
    if len(losses) != task.epochs:
        raise CheckFailed(f"train(model, x, y, epochs={task.epochs}) should record one loss per epoch, "
                          f"{task.epochs} in all, but history[\"loss\"] has {len(losses)}. "
                          "Look at the epochs argument of model.fit.")
    if not all(isinstance(value, (int, float)) and math.isfinite(value) for value in losses):
        raise CheckFailed(f"history[\"loss\"] should hold finite numbers, but it is {losses}. "
                          "Look at the learning rate and the loss.")


@pytest.mark.points(2)
def test_loss_decreases(trained, measure):
    """The training loss falls during training."""
    history = expect_type(trained.history, dict, what="the return value of train",
                          hint="return the dict in the .history attribute of what model.fit returns")
    losses = _as_list(history.get("loss"))
    if losses is not None and len(losses) >= 2 and all(isinstance(value, (int, float)) for value in losses):
        if losses[0] > 0:
            measure("relative loss drop", 1 - losses[-1] / losses[0])
        measure("last loss", losses[-1])
    expect_loss_decreases(losses if losses is not None else history.get("loss"), what="history[\"loss\"]", min_relative_drop=MIN_RELATIVE_LOSS_DROP,
                          hint="the learning rate, the loss and the labels given to model.fit")
