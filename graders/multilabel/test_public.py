"""Public checks of multilabel: independent sigmoid outputs, binary cross-entropy, thresholds and F1."""

from __future__ import annotations

import math

import numpy as np
import pytest
from multilabel_reference import best_label_f1, label_f1, macro_f1, micro_f1, threshold_labels
from multilabel_task import NUM_FEATURES, NUM_LABELS

from harness.checks import (
    expect_at_least,
    expect_close,
    expect_dtype,
    expect_in_range,
    expect_loss_decreases,
    expect_scalar_close,
    expect_shape,
    expect_subset,
    expect_type,
    loss_settings,
    verify_compiled_loss,
)

BINARY_LOSSES = ("BinaryCrossentropy", "binary_crossentropy")
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the binary cross-entropy of the training
# labels, computed here from the model's outputs, falls by at least the minimum noted there during the grader's
# fit; the labels are noisy, so no model gets near 0. A model that learns nothing stays near ln 2 = 0.69.
MIN_RELATIVE_LOSS_DROP = 0.3
OTHER_SIZES = (9, 3)


@pytest.mark.points(2)
def test_output_shape_and_range(submission, fresh_model, rng):
    """The model maps a batch of examples to one probability in [0, 1] per label (5 and 3 labels)."""
    for (features, labels), model in (
        ((NUM_FEATURES, NUM_LABELS), fresh_model),
        (OTHER_SIZES, submission.build_model(*OTHER_SIZES)),
    ):
        what = f"model.predict_on_batch(x) for 7 examples of build_model({features}, {labels})"
        outputs = expect_shape(
            model.predict_on_batch(rng.standard_normal((7, features)).astype(np.float32)),
            (7, labels),
            what=what,
            hint="keras.Input(shape=(num_features,)) and the units of the last Dense layer (num_labels)",
        )
        expect_in_range(outputs, 0.0, 1.0, what=what, hint="a sigmoid activation on the last layer")


@pytest.mark.points(1)
def test_rows_not_normalised(fresh_model, rng, measure):
    """The labels do not compete: a row of probabilities is free to sum to more or less than 1."""
    what = "the row sums of model.predict_on_batch(x) for 32 examples of build_model(16, 5)"
    outputs = expect_shape(
        fresh_model.predict_on_batch(rng.standard_normal((32, NUM_FEATURES)).astype(np.float32)),
        (32, NUM_LABELS),
        what="model.predict_on_batch(x)",
    )
    farthest = measure("largest |row sum - 1|", float(np.max(np.abs(outputs.sum(axis=1) - 1.0))))
    expect_at_least(
        farthest,
        0.1,
        metric=f"the largest distance of {what} from 1",
        baseline="a softmax output makes every row sum to exactly 1",
        hint="an example may have any number of labels: each label needs its own sigmoid, not a "
        "softmax over the labels",
    )


@pytest.mark.points(2)
def test_no_softmax(verified_fresh_model):
    """The verified model ends in a sigmoid layer and uses softmax nowhere."""
    softmax = [
        layer.name
        for layer in verified_fresh_model.layers()
        if layer.class_name == "Softmax" or layer.activation == "softmax" or layer.config.get("activation") == "softmax"
    ]
    hint = (
        'one sigmoid per label: Dense(num_labels, activation="sigmoid"); a softmax makes the labels compete '
        "for one unit of probability"
    )
    expect_subset(softmax, [], what="the layers of build_model(16, 5) with a softmax", noun="layer", hint=hint)
    expect_subset(
        [str(verified_fresh_model.output_activation())],
        ["sigmoid"],
        noun="activation",
        hint=hint,
        what="the activation of the output layer of build_model(16, 5)",
    )


def _claimed_loss(compile_config: dict | None) -> tuple[str | None, object]:
    """The loss a model says it was compiled with: its name and its from_logits setting (a claim, verified after)."""
    loss = (compile_config or {}).get("loss")
    if isinstance(loss, dict):
        settings = loss.get("config") if isinstance(loss.get("config"), dict) else {}
        return str(loss.get("class_name")), settings.get("from_logits", False)
    return (loss if isinstance(loss, str) else None), False


def _expect_binary_cross_entropy(settings: dict) -> None:
    """Fail unless a loss's settings say binary cross-entropy on probabilities."""
    what = "the loss build_model(16, 5) is compiled with"
    hint = (
        'keras.losses.BinaryCrossentropy() or loss="binary_crossentropy": one binary decision per label. '
        "The output is already a sigmoid probability, so from_logits must be False (with True the loss applies "
        "a second sigmoid; Keras repairs this silently in some code paths only)"
    )
    expect_subset([settings.get("class_name")], BINARY_LOSSES, what=what, noun="loss", hint=hint)
    expect_subset(
        [f"from_logits={settings.get('from_logits')}"], ["from_logits=False"], what=what, noun="setting", hint=hint
    )


@pytest.mark.points(2)
def test_compiled_loss(verified_fresh_model, fresh_model, label_model, rng):
    """build_model compiles binary cross-entropy on the sigmoid probabilities (from_logits=False), verified."""
    name, from_logits = _claimed_loss(verified_fresh_model.compile_config)
    _expect_binary_cross_entropy({"class_name": name, "from_logits": from_logits})
    x, y = label_model.sample(rng, 64)
    _expect_binary_cross_entropy(
        loss_settings(verify_compiled_loss(verified_fresh_model, fresh_model, x, y, what="build_model(16, 5)"))
    )


@pytest.mark.points(2)
def test_predict_labels(submission, rng):
    """predict_labels gives 1 where a probability is at least its label's threshold (one number or one per label)."""
    cases = []
    for rows, labels in ((12, 4), (9, 3)):
        probabilities = np.round(rng.random((rows, labels)), 1)  # on the 0.1 grid: many ties with thresholds
        cases.append((probabilities, np.round(rng.uniform(0.1, 0.9, labels), 1).tolist()))
        cases.append((probabilities, float(np.round(rng.uniform(0.1, 0.9), 1))))
    for probabilities, threshold in cases:
        what = f"predict_labels(probabilities of shape {probabilities.shape}, threshold={threshold})"
        found = expect_dtype(
            submission.predict_labels(probabilities, threshold),
            np.int64,
            what=what,
            hint="return (probabilities >= threshold).astype(np.int64)",
        )
        expect_close(
            found,
            threshold_labels(probabilities, threshold),
            what=what,
            rtol=0.0,
            atol=0.0,
            hint="1 where probability >= the threshold of its column (equal counts as 1), else 0",
        )


def _zero_one(rng: np.random.Generator, rows: int, labels: int) -> np.ndarray:
    return (rng.random((rows, labels)) < rng.uniform(0.1, 0.6, labels)).astype(np.int64)


@pytest.mark.points(2)
def test_f1_scores(submission, rng):
    """f1_scores gives micro- and macro-F1, with F1 = 0 for a label without positive labels or predictions."""
    for rows, labels in ((60, 5), (40, 3)):
        truth, guess = _zero_one(rng, rows, labels), _zero_one(rng, rows, labels)
        truth[:, 0] = guess[:, 0] = 0  # no positive label and no positive prediction: F1 = 0
        truth[:, 1] = 0  # predictions but no positive label: F1 = 0
        what = f"f1_scores(labels, predictions) for {rows} rows of {labels} labels"
        scores = expect_type(
            submission.f1_scores(truth, guess), dict, what=what, hint='return {"micro": ..., "macro": ...}'
        )
        expect_scalar_close(
            scores.get("micro"),
            micro_f1(truth, guess),
            what=f'the "micro" of {what}',
            hint="micro-F1 is 2 TP / (2 TP + FP + FN) of the counts summed over all labels",
        )
        expect_scalar_close(
            scores.get("macro"),
            macro_f1(truth, guess),
            what=f'the "macro" of {what}',
            hint="macro-F1 is the mean of the labels' own F1, each 0 when 2 TP + FP + FN = 0",
        )


@pytest.mark.points(2)
def test_tune_thresholds(submission, rng):
    """tune_thresholds picks, for each label, one of the candidates with that label's highest F1."""
    for rows, labels, rare in ((200, 4, False), (150, 3, False), (300, 3, True)):
        if rare:  # labels in 20% of rows, weak scores: the most accurate threshold is not the best F1 one
            truth = (rng.random((rows, labels)) < 0.2).astype(np.float64)
            scores = np.clip(0.15 * truth + rng.uniform(0.0, 0.8, (rows, labels)), 0, 1)
        else:
            truth = _zero_one(rng, rows, labels)
            scores = np.clip(
                0.35 * truth + rng.uniform(0.0, 0.65, (rows, labels)) * rng.uniform(0.3, 1.0, labels), 0, 1
            )
        candidates = np.sort(rng.choice(np.arange(1, 100) / 100, size=12, replace=False)).tolist()
        what = f"tune_thresholds(probabilities, labels, candidates) for {rows} rows of {labels} labels"
        thresholds = expect_shape(
            submission.tune_thresholds(scores, truth, candidates),
            (labels,),
            what=what,
            hint="one threshold per label (column)",
        )
        expect_subset(
            thresholds.tolist(),
            candidates,
            what=what,
            noun="threshold",
            hint="each threshold must be one of the candidates",
        )
        expect_close(
            label_f1(truth, threshold_labels(scores, thresholds)),
            best_label_f1(scores, truth, candidates),
            what=f"the F1 of each label at the thresholds of {what}",
            rtol=0.0,
            atol=1e-6,
            hint="for each label separately, keep the candidate with the highest F1 of that label",
        )


def _binary_cross_entropy(outputs: np.ndarray, labels: np.ndarray) -> float:
    clipped = np.clip(outputs, 1e-7, 1 - 1e-7)
    return float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped)))


@pytest.mark.statistical
@pytest.mark.points(1)
def test_loss_decreases(trained, training_examples, measure):
    """The binary cross-entropy of the training labels, measured here, falls while the grader trains the model."""
    x, y = training_examples
    what = f"the model's outputs for the {len(x)} training examples"
    before = _binary_cross_entropy(expect_in_range(trained.outputs_before, 0.0, 1.0, what=f"{what} before fit"), y)
    after = _binary_cross_entropy(
        expect_in_range(trained.verified.predict(x)[0], 0.0, 1.0, what=f"{what} after fit"), y
    )
    measure("relative loss drop", 1 - after / before if before > 0 else math.nan)
    expect_loss_decreases(
        [before, after],
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        what=f"the binary cross-entropy of {what}, before and after model.fit(x, y, epochs=10, batch_size=32)",
        hint="the loss and the optimizer compiled in build_model (its learning rate)",
    )
