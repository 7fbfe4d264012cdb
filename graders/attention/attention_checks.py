"""Comparisons the attention checks share: a candidate's numbers against the float64 reference, with one tolerance."""

from __future__ import annotations

import numpy as np
from attention_reference import log10_error

from harness.checks import expect_close, relative_error

# Calibration (CALIBRATION.md, 5 seeds written; the 20-seed run graded all 78 runs it finished at full marks):
# the worst relative error of any correct solution in float32 is 10**-5.93 (about 1.2e-6, train_step at large
# scores), median about 10**-6.7; a wrong scale, softmax axis, mask or head layout is off by 1e-2 to 1. 1e-4
# leaves a margin of about 85x. float64 inputs: worst 10**-15.22 (6e-16) against a tolerance of 1e-9.
RELATIVE_TOLERANCE = 1e-4
FLOAT64_TOLERANCE = 1e-9


def expect_matches(
    found: np.ndarray, expected: np.ndarray, *, what: str, hint: str, tolerance: float = RELATIVE_TOLERANCE
) -> float:
    """Fail unless ``found`` equals ``expected`` to ``tolerance`` times the largest expected value; return the error."""
    scale = float(np.max(np.abs(expected), initial=0.0))
    expect_close(found, expected, rtol=0.0, atol=tolerance * scale if scale > 0 else tolerance, what=what, hint=hint)
    return relative_error(found, expected)


def measure_worst(measure, name: str, errors: list[float]) -> None:
    """Record log10 of the largest of ``errors`` (the grader's own numbers) for calibration."""
    measure(name, log10_error(float(np.max(errors))))
