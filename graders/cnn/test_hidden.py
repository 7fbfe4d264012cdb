"""Hidden checks of the cnn exercise: accuracy on fresh images, other input shapes, the batch size honoured."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.checks import expect_at_least, expect_shape
from harness.checks import CheckFailed, NotImplementedYet, RaisedInSubmission
from harness.checks import Handle

HELD_OUT_IMAGES = 400
# Calibration (CALIBRATION.md, 20 seeds): the reference reaches 0.965-1.0 on 400 fresh images (median
# 0.995). Wrong solutions on the same data (grader runs, seeds 0-9): a dense network on the raw pixels
# 0.61-0.72, fit with Keras' default single epoch 0.46-0.63, Adam at learning rate 10 0.23-0.62. A CNN
# like the seed questions' with Adam's default learning rate reaches 0.89-0.94 and must pass. 0.8 is
# 0.165 below the reference's minimum and 0.08 above the best of the wrong solutions.
MIN_HELD_OUT_ACCURACY = 0.8

OTHER_INPUTS = (((28, 28, 1), 10), ((24, 32, 3), 5))  # MNIST-like; rectangular RGB with an odd class count


@pytest.mark.points(4)
def test_heldout_accuracy(trained, task, rng, measure):
    """After train, the model classifies fresh images well above chance."""
    x, labels = task.images(rng, HELD_OUT_IMAGES)  # the labels stay here
    outputs = expect_shape(trained.model.predict_on_batch(x), (HELD_OUT_IMAGES, None),
                           what=f"model.predict_on_batch(x) for {HELD_OUT_IMAGES} images after train")
    if outputs.shape[1] < task.num_classes:
        raise CheckFailed(f"model.predict_on_batch(x) should have {task.num_classes} columns, one per class, "
                          f"but it has {outputs.shape[1]}. Look at the last Dense layer.")
    accuracy = float(np.mean(np.argmax(outputs, axis=1) == labels))
    measure("accuracy", accuracy)
    expect_at_least(accuracy, MIN_HELD_OUT_ACCURACY,
                    metric=f"accuracy on {HELD_OUT_IMAGES} fresh images after "
                           f"train(model, x, y, epochs={task.epochs}, batch_size={task.batch_size})",
                    baseline="chance is 0.25; the reference solution reaches about 0.99",
                    hint="the learning rate, the loss, the epochs passed to model.fit, and convolution + pooling")


@pytest.mark.points(1)
def test_other_input_shapes(submission, rng):
    """build_model follows input_shape and num_classes: RGB, rectangular images and other class counts."""
    for input_shape, num_classes in OTHER_INPUTS:
        x = rng.normal(size=(3, *input_shape)).astype(np.float32)
        model = submission.build_model(input_shape, num_classes)
        what = f"model.predict_on_batch(x) for 3 images of build_model({input_shape}, {num_classes})"
        try:
            outputs = model.predict_on_batch(x)
        except NotImplementedYet:
            raise
        except RaisedInSubmission as raised:
            raise CheckFailed(f"{what} raised {raised.type_name}: {raised.error_message}. Look at the shape "
                              "given to keras.Input: it should be input_shape.") from None
        expect_shape(outputs, (3, num_classes), what=what,
                     hint="keras.Input(shape=input_shape) and the units of the last Dense layer")


@pytest.mark.points(1)
def test_train_honours_batch_size(trained, task, measure):
    """train makes one optimizer step per mini-batch of batch_size images."""
    try:
        optimizer = trained.model.attr("optimizer")
        if not isinstance(optimizer, Handle):
            raise CheckFailed("the trained model has no optimizer; build_model should compile it.")
        iterations = optimizer.attr("iterations")
        if isinstance(iterations, Handle):
            iterations = iterations.numpy()
        steps = int(np.asarray(iterations))
    except NotImplementedYet:
        raise
    except (RaisedInSubmission, AttributeError, TypeError, ValueError) as problem:
        raise CheckFailed(f"the trained model's optimizer step count (model.optimizer.iterations) could not be "
                          f"read ({problem}). Look at model.compile and model.fit.") from None
    history = trained.history if isinstance(trained.history, dict) else {}
    losses = history.get("loss")
    epochs = len(losses) if isinstance(losses, (list, tuple, np.ndarray)) and len(losses) else task.epochs
    per_epoch = steps / epochs
    measure("optimizer steps per epoch", per_epoch)
    # ceil(n / batch_size) steps per epoch; as few as half of that if train holds out a validation split.
    most = math.ceil(task.train_images / task.batch_size)
    fewest = math.ceil(task.train_images / 2 / task.batch_size)
    if not fewest <= per_epoch <= most:
        raise CheckFailed(
            f"train(model, x, y, epochs={task.epochs}, batch_size={task.batch_size}) on {task.train_images} images "
            f"should make {most} optimizer steps per epoch (ceil({task.train_images} / {task.batch_size}); fewer if "
            f"you hold out a validation split), but it made {per_epoch:g} ({steps} steps in {epochs} epochs). "
            "Look at the batch_size argument of model.fit.")
