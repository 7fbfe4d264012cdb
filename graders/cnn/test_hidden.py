"""Hidden checks of the cnn exercise: accuracy on secret images, other input shapes, epochs and batch size honoured."""

from __future__ import annotations

import numpy as np
import pytest

from harness.checks import expect_at_least, expect_shape, model_outputs

HELD_OUT_IMAGES = 400
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the lowest accuracy of any correct
# solution on 400 secret images is the figure noted there (the reference: 0.965-1.0, median 0.995; Adam at its
# default learning rate 0.001 is the slowest). Wrong solutions on the same data: a dense network on the raw
# pixels 0.61-0.72, fit with Keras' default single epoch 0.46-0.63, Adam at learning rate 10 0.23-0.62, an
# untrained model ~0.25. 0.8 is well below every correct solution and 0.08 above the best wrong one.
MIN_HELD_OUT_ACCURACY = 0.8

OTHER_INPUTS = (((28, 28, 1), 10), ((24, 32, 3), 5))  # MNIST-like; rectangular RGB with an odd class count

# The step checks train fresh models on 120 secret images and compare the largest change of any verified
# weight with that of one full-batch epoch (1 optimizer step). Calibration (CALIBRATION.md, 20 seeds,
# reference and every variant): 4 steps move the weights 3.9-4.0 times as far with Adam (each step moves a
# weight by at most the learning rate, a weight with a steady gradient by about that much) and 6-8 times
# with SGD and momentum 0.9. A train that ignores batch_size (Keras' default 32: 4 steps in both runs) or
# epochs (the same number of epochs in both runs) makes the same steps twice: a ratio of exactly 1.
MIN_STEP_RATIO = 2.0


@pytest.mark.statistical
@pytest.mark.points(4)
def test_heldout_accuracy(trained, task, rng, measure):
    """After train, the model classifies secret images well above chance."""
    x, labels = task.images(rng, HELD_OUT_IMAGES)  # the labels stay here
    outputs = model_outputs(
        trained.model,
        x,
        shape=(HELD_OUT_IMAGES, None),
        what=f"model.predict_on_batch(x) for {HELD_OUT_IMAGES} images after train",
        hint="the last Dense layer (num_classes units)",
    )
    accuracy = measure("accuracy", float(np.mean(np.argmax(outputs, axis=1) == labels)))
    expect_at_least(
        accuracy,
        MIN_HELD_OUT_ACCURACY,
        metric=f"accuracy on {HELD_OUT_IMAGES} secret images after "
        f"train(model, x, y, epochs={task.epochs}, batch_size={task.batch_size})",
        baseline="chance is 0.25; the reference solution reaches about 0.99",
        hint="the learning rate, the loss, the epochs passed to model.fit, and convolution + pooling",
    )


@pytest.mark.points(1)
def test_other_input_shapes(submission, rng):
    """build_model follows input_shape and num_classes: RGB, rectangular images and other class counts."""
    for input_shape, num_classes in OTHER_INPUTS:
        x = rng.normal(size=(3, *input_shape)).astype(np.float32)
        model = submission.build_model(input_shape, num_classes)
        expect_shape(
            model.predict_on_batch(x),
            (3, num_classes),
            what=f"model.predict_on_batch(x) for 3 images of build_model({input_shape}, {num_classes})",
            hint="keras.Input(shape=input_shape) and the units of the last Dense layer",
        )


def _expect_more_steps(
    task, step_weight_change, one_step_change, measure, *, epochs: int, batch_size: int, argument: str
) -> None:
    """Train a fresh model for 4 optimizer steps and require it to move 4 times as far as one full-batch step."""
    change = step_weight_change(epochs=epochs, batch_size=batch_size)
    ratio = measure("weight change ratio", change / one_step_change)
    size = task.step_set_size
    expect_at_least(
        ratio,
        MIN_STEP_RATIO,
        metric=(
            f"the largest weight change of train(model, x, y, epochs={epochs}, batch_size={batch_size}) on "
            f"{size} images ({task.step_batches} optimizer steps), divided by that of train(model, x, y, "
            f"epochs=1, batch_size={size}) (1 step) from the same kind of fresh model"
        ),
        baseline=f"about {task.step_batches} with Adam; exactly 1 when train ignores {argument}",
        hint=f"the {argument} argument of model.fit",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_train_honours_batch_size(task, step_weight_change, one_step_change, measure):
    """train makes one optimizer step per mini-batch of batch_size images (measured on verified weights)."""
    _expect_more_steps(
        task,
        step_weight_change,
        one_step_change,
        measure,
        epochs=1,
        batch_size=task.step_set_size // task.step_batches,
        argument="batch_size",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_train_honours_epochs(task, step_weight_change, one_step_change, measure):
    """train runs exactly epochs passes over the data (measured on verified weights)."""
    _expect_more_steps(
        task,
        step_weight_change,
        one_step_change,
        measure,
        epochs=task.step_batches,
        batch_size=task.step_set_size,
        argument="epochs",
    )
