"""Everything a grader needs, in one place: ``from harness.checks import expect_close, CheckFailed``.

This is the authoring facade of the grader tier.  Checks import from here, never
from the modules behind it, so that the engine can change underneath them.  See
``graders/AUTHORING.md`` for the rules every check follows (data from the
secret, no self-reported evidence, fail closed).
"""

from harness.grader.expect import (
    describe,
    expect_array,
    expect_at_least,
    expect_at_most,
    expect_close,
    expect_finite,
    expect_loss_decreases,
    expect_probabilities,
    expect_raises_in_submission,
    expect_scalar,
    expect_scalar_close,
    expect_shape,
    expect_type,
    relative_error,
    safe_max,
    safe_min,
)
from harness.grader.expect_training import (
    expect_changed,
    expect_dtype,
    expect_in_range,
    expect_numbers,
    expect_ratio_at_most,
    expect_runs_differ,
    expect_sorted,
    expect_subset,
    expect_unchanged,
    largest_change,
    model_outputs,
    until_one_passes,
)
from harness.grader.failures import (
    CheckFailed,
    GradingProblem,
    NotImplementedYet,
    RaisedInSubmission,
    SubmissionProblem,
)
from harness.grader.keras_models import (
    UnverifiableModel,
    VerifiedModel,
    import_keras_in_background,
    loss_settings,
    verify_compiled_loss,
    verify_keras_model,
)
from harness.grader.keras_training import EagerAdam
from harness.grader.proxy import Handle

__all__ = [
    "CheckFailed",
    "EagerAdam",
    "GradingProblem",
    "Handle",
    "NotImplementedYet",
    "RaisedInSubmission",
    "SubmissionProblem",
    "UnverifiableModel",
    "VerifiedModel",
    "describe",
    "expect_array",
    "expect_at_least",
    "expect_at_most",
    "expect_changed",
    "expect_close",
    "expect_dtype",
    "expect_finite",
    "expect_in_range",
    "expect_loss_decreases",
    "expect_numbers",
    "expect_probabilities",
    "expect_raises_in_submission",
    "expect_ratio_at_most",
    "expect_runs_differ",
    "expect_scalar",
    "expect_scalar_close",
    "expect_shape",
    "expect_sorted",
    "expect_subset",
    "expect_type",
    "expect_unchanged",
    "import_keras_in_background",
    "largest_change",
    "loss_settings",
    "model_outputs",
    "relative_error",
    "safe_max",
    "safe_min",
    "until_one_passes",
    "verify_compiled_loss",
    "verify_keras_model",
]
