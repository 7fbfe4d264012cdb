"""Shared fixtures of the multilabel checks: the run's label model and data, and the candidate's model trained once.

Every example comes from the run's secret (``multilabel_task``): the 2,000
training examples and their labels go to the worker, which is asked to build
the model; the grader itself trains it with ``model.fit(x, y, epochs=10,
batch_size=32)``.  Then the grader verifies the model (``verify_keras_model``:
it rebuilds the model from its config and weights and proves the rebuild
computes what the candidate's model computes on secret inputs) and takes the
probabilities of 2,000 validation and 4,000 test examples from the rebuild.
``tune_thresholds`` gets the validation probabilities and labels; the test
labels never leave the grader, which computes every F1 itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from multilabel_task import (
    CANDIDATES,
    FIT,
    NUM_FEATURES,
    NUM_LABELS,
    TEST_EXAMPLES,
    TRAINING_EXAMPLES,
    VALIDATION_EXAMPLES,
    LabelModel,
    make_label_model,
)

from harness.checks import (
    expect_in_range,
    expect_shape,
    expect_subset,
    model_outputs,
    verify_keras_model,
)


@dataclass
class Trained:
    """The candidate's model after the grader's ``fit``, its outputs on the training examples before, its rebuild."""

    model: Any
    outputs_before: np.ndarray
    verified: Any


@dataclass
class Evaluation:
    """What the trained model gives on secret data: thresholds tuned on validation data, test probabilities."""

    thresholds: np.ndarray
    test_probabilities: np.ndarray
    test_labels: np.ndarray


@pytest.fixture(scope="session")
def label_model(secret) -> LabelModel:
    """The run's true label probabilities."""
    return make_label_model(secret.rng("label model"))


@pytest.fixture(scope="session")
def training_examples(label_model, secret) -> tuple[np.ndarray, np.ndarray]:
    """The 2,000 training examples and labels (sent to the worker for fit)."""
    return label_model.sample(secret.rng("training examples"), TRAINING_EXAMPLES)


@pytest.fixture(scope="session")
def fresh_model(submission):
    """An untrained model, ``build_model(16, 5)``."""
    return submission.build_model(NUM_FEATURES, NUM_LABELS)


@pytest.fixture(scope="session")
def verified_fresh_model(submission, fresh_model, secret):
    """The grader's rebuild of ``build_model(16, 5)``, proven to compute what the candidate's model does."""
    return verify_keras_model(
        submission, fresh_model, rng=secret.rng("probe fresh model"), what=f"build_model({NUM_FEATURES}, {NUM_LABELS})"
    )


@pytest.fixture(scope="session")
def trained(submission, training_examples, secret) -> Trained:
    """Build a model and train it once per run: ``model.fit(x, y, epochs=10, batch_size=32, verbose=0)``."""
    x, y = training_examples
    model = submission.build_model(NUM_FEATURES, NUM_LABELS)
    before = model_outputs(
        model,
        x,
        shape=(len(x), NUM_LABELS),
        what="the new model's predict_on_batch(x)",
        hint=f"build_model({NUM_FEATURES}, {NUM_LABELS})",
    )
    model.fit(x, y, **FIT, verbose=0)  # a method of the handle: the default call budget (exercise.toml)
    verified = verify_keras_model(
        submission,
        model,
        rng=secret.rng("probe trained model"),
        what="the model after model.fit(x, y, epochs=10, batch_size=32)",
    )
    return Trained(model, before, verified)


def probabilities(verified, x: np.ndarray, *, what: str) -> np.ndarray:
    """The verified model's outputs on ``x``: (len(x), 5) probabilities, or a failed check."""
    outputs = expect_shape(
        verified.predict(x)[0], (len(x), NUM_LABELS), what=what, hint="a Dense output layer of num_labels units"
    )
    return expect_in_range(outputs, 0.0, 1.0, what=what, hint="a sigmoid output layer")


@pytest.fixture(scope="session")
def evaluation(submission, trained, label_model, secret) -> Evaluation:
    """Tune thresholds with the candidate's ``tune_thresholds`` on validation data; take the test probabilities."""
    validation_x, validation_labels = label_model.sample(secret.rng("validation examples"), VALIDATION_EXAMPLES)
    test_x, test_labels = label_model.sample(secret.rng("test examples"), TEST_EXAMPLES)
    validation = probabilities(
        trained.verified,
        validation_x,
        what=f"the trained model's probabilities for the {VALIDATION_EXAMPLES} validation examples",
    )
    what = f"tune_thresholds(probabilities, labels, candidates) on {VALIDATION_EXAMPLES} validation examples"
    thresholds = expect_shape(
        submission.tune_thresholds(validation, validation_labels, list(CANDIDATES)),
        (NUM_LABELS,),
        what=what,
        hint="one threshold per label (column)",
    )
    expect_subset(
        thresholds.tolist(),
        CANDIDATES,
        what=what,
        noun="threshold",
        hint="every threshold must be one of the candidates",
    )
    test = probabilities(
        trained.verified, test_x, what=f"the trained model's probabilities for the {TEST_EXAMPLES} test examples"
    )
    return Evaluation(thresholds.astype(np.float64), test, test_labels)
