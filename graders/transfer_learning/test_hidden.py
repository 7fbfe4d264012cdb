"""Hidden checks of transfer_learning: transfer beats training from scratch, the fine-tuning step, another base."""

from __future__ import annotations

import numpy as np
import pytest
from base_view import (
    base_weights,
    expect_fine_tuned_layers,
    expect_head_only_trainable,
    expect_layers_unchanged,
    fine_tuning_split,
    head_weights,
    shipped,
    verify_model,
)
from transfer_task import STEP_FINE_TUNING_LAYERS

from harness.checks import (
    expect_at_least,
    expect_in_range,
    expect_probabilities,
    expect_raises_in_submission,
    expect_shape,
    largest_change,
)

# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the held-out accuracy after both
# phases minus that of the base's architecture trained from scratch (by the grader, full-batch Adam) on the same
# 40 examples is 0.122 at least, median 0.32. A model that ignores the pretrained weights, or whose base does
# not keep them, does little or no better than the scratch network: on seeds 0-5 the three such mutants reached
# at most 0.049 (base not frozen: 0.049, 0.014, 0.03, 0.034, -0.07, -0.002), 0.004 (weights not loaded) and -0.06
# (head learning rate ignored). The bar sits between the two; the correct side's margin is thin (0.022), and
# held over the 80 correct runs of the 20-seed selftest.
MIN_GAP_OVER_SCRATCH = 0.1
STEP_RATIO = (0.9, 1.1)  # as in test_public.py: Adam's first step moves a weight by the learning rate
OTHER_CLASSES = 5


@pytest.mark.statistical
@pytest.mark.points(3)
def test_beats_training_from_scratch(phase_two, task, measure):
    """After both phases the model beats the same network trained from scratch on the same 40 examples."""
    accuracy = measure("accuracy after fine_tune", task.accuracy(phase_two.verified))
    scratch = measure("accuracy from scratch", task.scratch_accuracy())
    gap = measure("gap over scratch", accuracy - scratch)
    expect_at_least(
        gap,
        MIN_GAP_OVER_SCRATCH,
        metric=f"the held-out accuracy after train_head and fine_tune ({accuracy:.3f}) minus that of "
        f"the base's architecture trained from scratch on the same examples ({scratch:.3f})",
        hint="the pretrained weights must be loaded and kept frozen while the head trains; fine-tune "
        "with a small learning rate",
    )


@pytest.mark.points(2)
def test_fine_tune_step(fine_tune_step, task, measure):
    """One fine_tune step moves the top layer and the head by Adam's first step at the given rate, nothing else."""
    step = fine_tune_step
    expect_fine_tuned_layers(
        step.before.verified, step.after.verified, task.base, STEP_FINE_TUNING_LAYERS, call=step.call
    )
    unfrozen, _, normalization = fine_tuning_split(task.base, STEP_FINE_TUNING_LAYERS)
    what = f"after {step.call}"
    before, after = (
        base_weights(step.before.verified, task.base, what=what),
        base_weights(step.after.verified, task.base, what=what),
    )
    expect_layers_unchanged(
        shipped(task.base), after, normalization, what=what, hint="BatchNormalization layers keep trainable = False"
    )
    moved = [weight for name in unfrozen for weight in before[name]] + head_weights(
        step.before.verified, task.base, what=what
    )
    now = [weight for name in unfrozen for weight in after[name]] + head_weights(
        step.after.verified, task.base, what=what
    )
    ratio = measure("fine-tune step / learning rate", largest_change(moved, now) / step.learning_rate)
    expect_in_range(
        np.array([ratio]),
        *STEP_RATIO,
        what=f"the largest change of a trainable weight {what}, divided by the learning rate (the "
        "first step of a new Adam moves a weight by the learning rate)",
        hint="compile again in fine_tune with a new keras.optimizers.Adam(learning_rate=learning_rate), "
        "and fit exactly epochs epochs in mini-batches of 32",
    )


@pytest.mark.points(1)
def test_other_base(submission, other_base, secret, rng):
    """build_transfer_model follows base_json, base_weights and num_classes: another base and 5 classes."""
    model = submission.build_transfer_model(other_base.json, other_base.weights, OTHER_CLASSES)
    call = f"build_transfer_model(base_json, base_weights, {OTHER_CLASSES}) for another base (20 inputs, 3 layers)"
    x = rng.standard_normal((6, 20)).astype(np.float32)
    outputs = expect_shape(
        model.predict_on_batch(x),
        (6, OTHER_CLASSES),
        what=f"the outputs of {call}",
        hint="keras.Input with the base's input shape, and num_classes units in the last layer",
    )
    expect_probabilities(outputs, what=f"the outputs of {call}", hint="a softmax output layer")
    rebuilt = verify_model(submission, model, secret, f"the model of {call}")
    expect_layers_unchanged(
        shipped(other_base),
        base_weights(rebuilt, other_base, what=call),
        other_base.layer_names,
        what=f"in {call}, compared with base_weights",
        hint="rebuild the base from base_json and load base_weights: nothing about it is fixed",
    )
    expect_head_only_trainable(rebuilt, other_base, what=f"the model of {call}")


@pytest.mark.points(1)
def test_fine_tune_rejects_bad_depth(submission, task, step_examples):
    """fine_tune raises ValueError for num_layers 0 or more than the base's layers, before training anything."""
    model = submission.build_transfer_model(task.base.json, task.base.weights, 4)
    count = len(task.base.layer_names)
    for num_layers in (0, count + 1):
        expect_raises_in_submission(
            lambda depth=num_layers: submission.fine_tune(
                model, *step_examples, num_layers=depth, epochs=1, learning_rate=1e-3
            ),
            accepted=("ValueError",),
            what=f"fine_tune(model, x, y, num_layers={num_layers}, epochs=1, learning_rate=0.001) for a base of "
            f"{count} layers",
            hint="check 1 <= num_layers <= len(base.layers) first; base.layers[:-0] is empty, so num_layers=0 "
            "would silently unfreeze every layer",
        )
