"""Shared fixtures of the transfer_learning checks: the run's world and base, and the candidate's two phases.

Everything comes from the run's secret (``transfer_task``): the world, the base
the grader pre-trains on the source task, the 40 target examples sent to the
worker, and the 1,000 held-out target examples whose labels stay here.  Every
model the candidate's code returns is verified (``verify_keras_model``: the
grader rebuilds it from its config and weights and proves the rebuild computes
what the candidate's model computes on secret inputs) before its weights,
trainable flags or accuracy are read, always from the rebuild.

Two runs per grading run:

- the **main run**: ``build_transfer_model``, ``train_head`` (10 epochs at
  learning rate 0.05), ``fine_tune`` (top 3 layers, 5 epochs at 0.001);
- the **step run**: one optimizer step of ``train_head``, then one of
  ``fine_tune`` (top layer only), each on 24 examples (one mini-batch), at
  learning rates drawn from the secret.  Adam's first step moves every weight
  that has a gradient by almost exactly the learning rate, so the largest
  change shows which learning rate was used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from base_view import verify_model
from transfer_task import (
    FINE_TUNE_STEP_RATES,
    FINE_TUNING,
    HEAD_STEP_RATES,
    HEAD_TRAINING,
    STEP_EXAMPLES,
    STEP_FINE_TUNING_LAYERS,
    TARGET_CLASSES,
    TARGET_EXAMPLES,
    TEST_EXAMPLES,
    TRAIN_DEADLINE_SECONDS,
    ShippedBase,
    World,
    call_text,
    make_world,
    pretrain,
    scratch_accuracy,
    ship_other,
    ship_pretrained,
)

from harness.checks import (
    CheckFailed,
    SubmissionProblem,
    VerifiedModel,
    verify_compiled_loss,
)


@dataclass(frozen=True)
class Task:
    """The run's world, its pre-trained base, the target examples (sent) and the held-out ones (kept)."""

    world: World
    base: ShippedBase
    x: np.ndarray
    y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    scratch_rng_seed: int

    def scratch_accuracy(self) -> float:
        """The held-out accuracy of the base's architecture trained from scratch on the same 40 examples."""
        return scratch_accuracy(self.x, self.y, self.test_x, self.test_y, np.random.default_rng(self.scratch_rng_seed))

    def accuracy(self, verified: VerifiedModel) -> float:
        """The held-out accuracy of a verified model, computed here from its rebuild's outputs."""
        outputs = verified.predict(self.test_x)[0]
        if outputs.shape != (len(self.test_y), TARGET_CLASSES) or not np.all(np.isfinite(outputs)):
            return 0.0
        return float(np.mean(np.argmax(outputs, axis=1) == self.test_y))


@dataclass
class Phase:
    """The model after one call of the candidate's code: the verified rebuild, what the call returned, the loss."""

    model: Any
    verified: VerifiedModel
    history: Any = None
    loss: Any = None  # the verified loss object, or the CheckFailed that says why it could not be verified


@pytest.fixture(scope="session")
def task(secret) -> Task:
    """Draw the world, pre-train the base on the source task, and draw the target examples."""
    rng = secret.rng("world")
    world = make_world(rng)
    base = ship_pretrained(pretrain(world, rng))
    x, _, y = world.sample(secret.rng("target examples"), TARGET_EXAMPLES)
    test_x, _, test_y = world.sample(secret.rng("held-out examples"), TEST_EXAMPLES)
    return Task(world, base, x, y, test_x, test_y, secret.integer("scratch network"))


def compiled_loss(phase_verified: VerifiedModel, model, x, y, *, what: str) -> Any:
    """The verified loss the model was compiled with, or the failure that says why it cannot be verified."""
    try:
        return verify_compiled_loss(phase_verified, model, x, y, what=what)
    except (CheckFailed, SubmissionProblem) as failure:
        return failure


@pytest.fixture(scope="session")
def fresh(submission, task, secret) -> Phase:
    """``build_transfer_model(base_json, base_weights, 4)``, verified."""
    model = submission.build_transfer_model(task.base.json, task.base.weights, TARGET_CLASSES)
    return Phase(model, verify_model(submission, model, secret, "the model build_transfer_model returned"))


@pytest.fixture(scope="session")
def phase_one(submission, task, fresh, secret) -> Phase:
    """The main run's phase 1: ``train_head(model, x, y, epochs=10, learning_rate=0.05)``, verified."""
    call = call_text("train_head", **HEAD_TRAINING)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_head(fresh.model, task.x, task.y, **HEAD_TRAINING)
    after = verify_model(submission, fresh.model, secret, f"the model after {call}")
    loss = compiled_loss(after, fresh.model, task.x, task.y, what=f"the model after {call}")
    return Phase(fresh.model, after, history, loss)


@pytest.fixture(scope="session")
def phase_two(submission, task, phase_one, secret) -> Phase:
    """The main run's phase 2: ``fine_tune(model, x, y, num_layers=3, epochs=5, learning_rate=0.001)``, verified."""
    call = call_text("fine_tune", **FINE_TUNING)
    history = submission.with_deadline(TRAIN_DEADLINE_SECONDS).fine_tune(phase_one.model, task.x, task.y, **FINE_TUNING)
    return Phase(phase_one.model, verify_model(submission, phase_one.model, secret, f"the model after {call}"), history)


@dataclass
class Step:
    """One optimizer step from a verified start: the learning rate asked for and the model before and after."""

    learning_rate: float
    call: str
    before: Phase
    after: Phase


def _rate(secret, label: str, bounds: tuple[float, float]) -> float:
    low, high = np.log(bounds[0]), np.log(bounds[1])
    return float(np.exp(secret.rng("learning rate", label).uniform(low, high)))


@pytest.fixture(scope="session")
def step_examples(task, secret) -> tuple[np.ndarray, np.ndarray]:
    """24 target examples for the step run (sent to the worker)."""
    x, _, y = task.world.sample(secret.rng("step examples"), STEP_EXAMPLES)
    return x, y


@pytest.fixture(scope="session")
def head_step(submission, task, step_examples, secret) -> Step:
    """A new model, then one step of ``train_head(model, x, y, epochs=1, learning_rate=r)`` on 24 examples."""
    rate = _rate(secret, "head", HEAD_STEP_RATES)
    call = f"train_head(model, x, y, epochs=1, learning_rate={rate:.4g}) on {STEP_EXAMPLES} examples"
    model = submission.build_transfer_model(task.base.json, task.base.weights, TARGET_CLASSES)
    before = Phase(model, verify_model(submission, model, secret, "a new model of build_transfer_model"))
    history = submission.train_head(model, *step_examples, epochs=1, learning_rate=rate)
    return Step(
        rate, call, before, Phase(model, verify_model(submission, model, secret, f"the model after {call}"), history)
    )


@pytest.fixture(scope="session")
def fine_tune_step(submission, head_step, step_examples, secret) -> Step:
    """Then one step of ``fine_tune(model, x, y, num_layers=1, epochs=1, learning_rate=r)`` on the same examples."""
    rate = _rate(secret, "fine-tune", FINE_TUNE_STEP_RATES)
    call = (
        f"fine_tune(model, x, y, num_layers={STEP_FINE_TUNING_LAYERS}, epochs=1, learning_rate={rate:.4g}) "
        f"on {STEP_EXAMPLES} examples"
    )
    model = head_step.after.model
    history = submission.fine_tune(
        model, *step_examples, num_layers=STEP_FINE_TUNING_LAYERS, epochs=1, learning_rate=rate
    )
    return Step(
        rate,
        call,
        head_step.after,
        Phase(model, verify_model(submission, model, secret, f"the model after {call}"), history),
    )


@pytest.fixture(scope="session")
def other_base(secret) -> ShippedBase:
    """An untrained base of another shape (20 inputs, 3 layers, other names)."""
    return ship_other(secret.rng("other base"))
