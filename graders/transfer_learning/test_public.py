"""Public checks of transfer_learning: the frozen base, the head, the loss, the learning rate, the fine-tuned layers."""

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
    trainable_base_parameters,
)
from transfer_task import FINE_TUNING, HEAD_TRAINING, TARGET_CLASSES, call_text

from harness.checks import (
    expect_at_least,
    expect_changed,
    expect_in_range,
    expect_numbers,
    expect_probabilities,
    expect_shape,
    expect_subset,
    expect_type,
    largest_change,
    loss_settings,
)

INTEGER_LABEL_LOSSES = ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
# Adam's first step moves every weight with a gradient larger than ~1e-4 by the learning rate times
# |g| / (|g| + 1e-7): the largest change is the learning rate to 0.1% (CALIBRATION.md: 1.000 min and max over
# every correct solution). Another learning rate, or more than one step, lands far outside 0.9-1.1.
STEP_RATIO = (0.9, 1.1)
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the held-out accuracy after train_head
# alone is 0.486 at least (a variant with Dropout(0.2) before the head, seed 19; the reference's lowest is 0.561),
# median 0.734; chance is 0.25.  Wrong solutions on the same data: Adam's default learning rate instead of the one
# given 0.19-0.29, a base without its pretrained weights 0.25-0.33 (seeds 0, 3, 19).  The bar sits between them;
# it was 0.5, which the 20-seed selftest found failing that correct variant.
MIN_HEAD_ACCURACY = 0.42


@pytest.mark.points(2)
def test_output_probabilities(submission, fresh, task, rng):
    """The model maps a batch of examples to one probability per class (4 and 3 classes)."""
    x = task.test_x[rng.choice(len(task.test_x), 6, replace=False)]
    for classes, model in (
        (TARGET_CLASSES, fresh.model),
        (3, submission.build_transfer_model(task.base.json, task.base.weights, 3)),
    ):
        what = (
            f"model.predict_on_batch(x) for 6 examples, model = build_transfer_model(base_json, base_weights, "
            f"{classes})"
        )
        outputs = expect_shape(
            model.predict_on_batch(x),
            (6, classes),
            what=what,
            hint="the units of the head's last Dense layer (num_classes)",
        )
        expect_probabilities(outputs, what=what, hint="the activation of the last Dense layer (softmax)")


@pytest.mark.points(2)
def test_base_frozen(fresh, task):
    """The new model holds the base with exactly the weights sent, and only the head is trainable (verified)."""
    what = "the model build_transfer_model returned"
    expect_layers_unchanged(
        shipped(task.base),
        base_weights(fresh.verified, task.base, what=what),
        task.base.layer_names,
        what=f"in {what}, compared with base_weights",
        hint="base.set_weights(base_weights) after keras.models.model_from_json(base_json)",
    )
    expect_head_only_trainable(fresh.verified, task.base, what=what)


@pytest.mark.points(2)
def test_head_training_keeps_base(phase_one, fresh, task):
    """train_head moves the head's weights and leaves every weight of the base bit for bit as it was."""
    what = f"after {call_text('train_head', **HEAD_TRAINING)}"
    expect_layers_unchanged(
        shipped(task.base),
        base_weights(phase_one.verified, task.base, what=what),
        task.base.layer_names,
        what=what,
        hint="base.trainable = False: the base must be frozen before the model is compiled, "
        "including the moving statistics of its BatchNormalization layers",
    )
    expect_changed(
        head_weights(fresh.verified, task.base, what=what),
        head_weights(phase_one.verified, task.base, what=what),
        what=f"the weights of the head {what}",
        hint="train_head must fit the model it is given",
    )


def _claimed_loss(compile_config: dict | None) -> dict:
    """The loss a model says it was compiled with: its name and from_logits (a claim, verified after)."""
    loss = (compile_config or {}).get("loss")
    if isinstance(loss, dict):
        settings = loss.get("config") if isinstance(loss.get("config"), dict) else {}
        return {"class_name": str(loss.get("class_name")), "from_logits": settings.get("from_logits", False)}
    return {"class_name": loss if isinstance(loss, str) else None, "from_logits": False}


def _expect_integer_label_loss(settings: dict) -> None:
    what = "the loss train_head compiles the model with"
    expect_subset(
        [settings.get("class_name")],
        INTEGER_LABEL_LOSSES,
        what=what,
        noun="loss",
        hint="keras.losses.SparseCategoricalCrossentropy(): the labels are integers 0 .. num_classes - 1",
    )
    expect_subset(
        [f"from_logits={settings.get('from_logits')}"],
        ["from_logits=False"],
        what=what,
        noun="setting",
        hint="from_logits=True treats the softmax probabilities as raw scores and applies a second "
        "softmax; Keras repairs this silently in some code paths only. The head ends in softmax, "
        "so from_logits must be False",
    )


@pytest.mark.points(2)
def test_compiled_loss(phase_one):
    """train_head compiles a loss for integer labels that takes the softmax probabilities (verified)."""
    _expect_integer_label_loss(_claimed_loss(phase_one.verified.compile_config))
    if isinstance(phase_one.loss, Exception):  # the claim could not be verified against evaluate
        raise phase_one.loss
    _expect_integer_label_loss(loss_settings(phase_one.loss))


@pytest.mark.points(1)
def test_history_per_epoch(phase_one, phase_two):
    """train_head and fine_tune return the history dict, with one finite loss per epoch."""
    for name, phase, epochs in (
        ("train_head", phase_one, HEAD_TRAINING["epochs"]),
        ("fine_tune", phase_two, FINE_TUNING["epochs"]),
    ):
        history = expect_type(
            phase.history,
            dict,
            what=f"the return value of {name}(..., epochs={epochs}, ...)",
            hint="return the .history dict of what model.fit returns",
        )
        expect_numbers(
            history.get("loss"),
            length=epochs,
            what=f'history["loss"] returned by {name}(..., epochs={epochs}, ...)',
            hint="the epochs argument of model.fit, and return fitted.history",
        )


@pytest.mark.points(2)
def test_head_learning_rate(head_step, task, measure):
    """One train_head step moves the head by Adam's first step at the given learning rate, and not the base."""
    step = head_step
    what = f"after {step.call}"
    expect_layers_unchanged(
        shipped(task.base),
        base_weights(step.after.verified, task.base, what=what),
        task.base.layer_names,
        what=what,
        hint="base.trainable = False",
    )
    change = largest_change(
        head_weights(step.before.verified, task.base, what=what),
        head_weights(step.after.verified, task.base, what=what),
    )
    ratio = measure("head step / learning rate", change / step.learning_rate)
    expect_in_range(
        np.array([ratio]),
        *STEP_RATIO,
        what=f"the largest change of a head weight {what}, divided by the learning rate (Adam's first "
        f"step moves a weight by the learning rate)",
        hint="keras.optimizers.Adam(learning_rate=learning_rate), fit for exactly epochs epochs in mini-batches of 32",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_head_learns(phase_one, task, measure):
    """After train_head, the model classifies held-out target examples well above chance."""
    accuracy = measure("accuracy after train_head", task.accuracy(phase_one.verified))
    expect_at_least(
        accuracy,
        MIN_HEAD_ACCURACY,
        metric=f"the accuracy on {len(task.test_y)} secret target examples after train_head",
        baseline="chance is 0.25; a softmax head on the pretrained features reaches about 0.75",
        hint="the base must keep its pretrained weights (base_weights) and the head must train",
    )


@pytest.mark.points(2)
def test_only_top_layers_move(phase_one, phase_two, task):
    """fine_tune moves the top num_layers layers of the base (but BatchNormalization) and no other."""
    expect_fine_tuned_layers(
        phase_one.verified,
        phase_two.verified,
        task.base,
        FINE_TUNING["num_layers"],
        call=call_text("fine_tune", **FINE_TUNING),
    )


@pytest.mark.points(2)
def test_batch_norm_inference_mode(phase_two, task):
    """During fine_tune every BatchNormalization layer stays frozen: inference mode, moving statistics kept."""
    call = call_text("fine_tune", **FINE_TUNING)
    _, _, normalization = fine_tuning_split(task.base, FINE_TUNING["num_layers"])
    trainable = trainable_base_parameters(phase_two.verified, task.base, what=f"the model after {call}")
    hint = (
        "keep trainable = False on BatchNormalization layers when unfreezing: in Keras 3 that is what keeps them "
        "in inference mode (moving statistics used, never updated); base(inputs, training=False) does not, "
        "because fit calls the model with training=True"
    )
    expect_subset(
        [name for name in normalization if trainable[name]],
        [],
        what=f"the trainable BatchNormalization layers of the base after {call}",
        noun="layer",
        hint=hint,
    )
    expect_layers_unchanged(
        shipped(task.base),
        base_weights(phase_two.verified, task.base, what=call),
        normalization,
        what=f"after {call} (gamma, beta, moving mean and variance)",
        hint=hint,
    )
