"""Public checks of the cnn exercise: the model's outputs, its verified structure and loss, and what train() returns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.checks import (
    CheckFailed,
    expect_loss_decreases,
    expect_numbers,
    expect_probabilities,
    expect_shape,
    expect_type,
    verify_compiled_loss,
)

CONVOLUTION_LAYERS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")
INTEGER_LABEL_LOSSES = ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the cross-entropy on the training
# images, which the grader computes from the model's predictions before and after train, falls by at least
# the minimum noted there; a model that learns nothing stays near ln(4) = 1.39 (drop ~0). 30% leaves a wide
# margin for slower correct set-ups.
MIN_RELATIVE_LOSS_DROP = 0.3


def _claimed_loss(compile_config: dict | None) -> tuple[str | None, bool]:
    """The loss a model says it was compiled with: its name and its from_logits setting (a claim, verified later)."""
    loss = (compile_config or {}).get("loss")
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, dict):
        settings = loss.get("config")
        from_logits = settings.get("from_logits") is True if isinstance(settings, dict) else False
        return str(loss.get("class_name")), from_logits
    return None, False


@pytest.mark.points(2)
def test_output_shape(submission, fresh_model, task, rng):
    """The model maps a batch of images to one output per class (4 and 10 classes)."""
    x, _ = task.images(rng, 5)
    for num_classes, model in ((task.num_classes, fresh_model), (10, submission.build_model(task.input_shape, 10))):
        outputs = model.predict_on_batch(x)
        expect_shape(
            outputs,
            (5, num_classes),
            what=f"model.predict_on_batch(x) for 5 images of build_model({task.input_shape}, {num_classes})",
            hint="the number of units of the last Dense layer (num_classes)",
        )


@pytest.mark.points(2)
def test_probabilities(fresh_model, task, rng, measure):
    """The model outputs class probabilities: each row in [0, 1] and summing to 1."""
    x, _ = task.images(rng, 16)
    outputs = expect_shape(fresh_model.predict_on_batch(x), (16, None), what="model.predict_on_batch(x) for 16 images")
    measure("max |row sum - 1|", float(np.abs(outputs.sum(axis=1) - 1).max()) if outputs.size else math.nan)
    expect_probabilities(outputs, what="model.predict_on_batch(x)", hint="the activation of the last layer (softmax)")


@pytest.mark.points(2)
def test_conv_and_pooling(verified_fresh_model):
    """The model, verified on secret images, has a convolution layer, a pooling layer and a Dense layer."""
    classes = verified_fresh_model.layer_classes()
    missing = []
    if not any(name in CONVOLUTION_LAYERS for name in classes):
        missing.append("a convolution layer (keras.layers.Conv2D)")
    if not any("Pooling" in name for name in classes):
        missing.append("a pooling layer (e.g. keras.layers.MaxPooling2D or GlobalAveragePooling2D)")
    if "Dense" not in classes:
        missing.append("a fully connected layer (keras.layers.Dense) for the classification head")
    if missing:
        raise CheckFailed(
            f"the model should have {' and '.join(missing)}; its layers are: "
            f"{', '.join(classes) or 'none'}. Look at build_model."
        )


@pytest.mark.points(2)
def test_compiled(submission, fresh_model, verified_fresh_model, task, rng):
    """build_model compiles the model with a loss for integer labels on probabilities, verified on secret images."""
    what = f"build_model({task.input_shape}, {task.num_classes})"
    name, from_logits = _claimed_loss(verified_fresh_model.compile_config)
    if (name is not None and name not in INTEGER_LABEL_LOSSES) or from_logits:
        problem = (
            "told from_logits=True, so it treats the softmax probabilities as raw scores (logits) and "
            "applies a second softmax; Keras silently repairs this in some code paths only"
            if name in INTEGER_LABEL_LOSSES
            else f"{name!r}, which does not take integer labels 0 .. num_classes - 1"
        )
        raise CheckFailed(
            f"{what} is compiled with a loss {problem}. Compile with "
            "keras.losses.SparseCategoricalCrossentropy() (from_logits=False, the default) or "
            'loss="sparse_categorical_crossentropy".'
        )
    x, labels = task.images(rng, 16)
    verify_compiled_loss(verified_fresh_model, fresh_model, x, labels, what=what)


@pytest.mark.points(1)
def test_history_per_epoch(trained, task, measure):
    """train returns the history dict, with one finite loss per epoch."""
    measure("train seconds", trained.seconds)
    call = f"train(model, x, y, epochs={task.epochs}, batch_size={task.batch_size})"
    history = expect_type(
        trained.history,
        dict,
        what=f"the return value of {call}",
        hint="return the dict in the .history attribute of what model.fit returns",
    )
    expect_numbers(
        history.get("loss"),
        what=f'history["loss"] returned by {call}',
        length=task.epochs,
        hint="the epochs argument of model.fit, and return fitted.history",
    )


def _cross_entropy(outputs, labels: np.ndarray, *, what: str) -> float:
    """The mean cross-entropy of the probabilities ``outputs`` for integer ``labels``, computed here."""
    probabilities = expect_probabilities(
        expect_shape(outputs, (len(labels), None), what=what),
        what=what,
        hint="the activation of the last layer (softmax)",
    )
    chosen = probabilities[np.arange(len(labels)), labels] if probabilities.shape[1] > labels.max() else None
    if chosen is None:
        return math.inf
    return float(-np.mean(np.log(np.clip(chosen, 1e-7, 1.0))))


@pytest.mark.statistical
@pytest.mark.points(2)
def test_loss_decreases(trained, training_images, task, measure):
    """The model's loss on its training images, measured by the grader, falls during train."""
    x, labels = training_images
    before = _cross_entropy(
        trained.outputs_before, labels, what=f"model.predict_on_batch(x) for the {len(x)} training images before train"
    )
    after = _cross_entropy(
        trained.model.predict_on_batch(x),
        labels,
        what=f"model.predict_on_batch(x) for the {len(x)} training images after train",
    )
    if math.isfinite(before) and before > 0:
        measure("relative loss drop", 1 - after / before)
    measure("loss after", after)
    expect_loss_decreases(
        [before, after],
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        what=(
            f"the cross-entropy of the model's predictions on its {len(x)} training images, "
            f"before and after train(model, x, y, epochs={task.epochs}, "
            f"batch_size={task.batch_size})"
        ),
        hint="the learning rate, the loss and the labels given to model.fit",
    )
