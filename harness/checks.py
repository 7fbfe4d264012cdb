"""Everything a grader needs, in one place: ``from harness.checks import expect_close, CheckFailed``.

This is the authoring facade of the grader tier.  Checks import from here, never
from the modules behind it, so that the engine can change underneath them.
"""

from harness.grader.expect import (
    expect_array,
    expect_at_least,
    expect_at_most,
    expect_close,
    expect_finite,
    expect_loss_decreases,
    expect_probabilities,
    expect_raises_in_submission,
    expect_scalar,
    expect_shape,
    expect_type,
)
from harness.grader.failures import CheckFailed, NotImplementedYet, RaisedInSubmission, SubmissionProblem
from harness.grader.keras_models import (
    UnverifiableModel,
    VerifiedModel,
    loss_settings,
    verify_compiled_loss,
    verify_keras_model,
)
from harness.grader.proxy import Handle

__all__ = [
    "CheckFailed",
    "Handle",
    "NotImplementedYet",
    "RaisedInSubmission",
    "SubmissionProblem",
    "UnverifiableModel",
    "VerifiedModel",
    "expect_array",
    "expect_at_least",
    "expect_at_most",
    "expect_close",
    "expect_finite",
    "expect_loss_decreases",
    "expect_probabilities",
    "expect_raises_in_submission",
    "expect_scalar",
    "expect_shape",
    "expect_type",
    "loss_settings",
    "verify_compiled_loss",
    "verify_keras_model",
]
