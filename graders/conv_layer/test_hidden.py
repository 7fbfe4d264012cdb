"""Hidden checks of the conv_layer exercise (instructors only).

The numeric gradient check differentiates the candidate's own forward pass by
central differences: the forward runs in the worker, the sums are done here.
"""

import math

import conv_reference as reference
import numpy as np
import pytest
from conv_cases import Case, check_backward, log10_error, random_case, unpack_gradients

from harness.checks import expect_at_most, expect_dtype, expect_finite, expect_scalar_close, expect_shape, safe_max

# The loss sum(r * conv2d_forward(x, w, b)) is linear in each of x, w and b, so central
# differences have no truncation error; only float64 rounding is left: the largest relative error of
# any correct solution is 10^-10.9 (1.2e-11) over 20 seeds (CALIBRATION.md: the reference and the im2col,
# loop and padding-formula variants), 8000x below the 1e-7 threshold the exercise promises.  A wrong
# gradient is off by O(1); NaN, infinity and two zero gradients count as an infinite error.
STEP = 1e-4
MAX_RELATIVE_ERROR = 1e-7


@pytest.mark.points(1)
def test_output_size_random(submission, rng):
    """conv2d_output_size matches TensorFlow on 40 random (input, kernel, stride, padding) cases."""
    cases = []
    for index in range(40):
        stride = int(rng.integers(1, 6)) if index % 2 else int(rng.integers(2, 6))
        kernel = int(rng.integers(1, 10))
        padding = ("SAME", "VALID")[index % 4 >= 2]
        size = int(rng.integers(kernel if padding == "VALID" else 1, 65))
        cases.append((size, kernel, stride, padding))
    for size, kernel, stride, padding in cases:
        expected = reference.output_size(size, kernel, stride, padding)
        value = submission.conv2d_output_size(size, kernel, stride, padding)
        expect_scalar_close(
            value,
            expected,
            what=f"conv2d_output_size({size}, {kernel}, {stride}, {padding!r})",
            rtol=0.0,
            atol=0.0,
            hint="ceil(input / stride) for SAME and floor((input - kernel) / stride) + 1 for VALID",
        )


@pytest.mark.points(2)
def test_backward_stride_2_and_3(submission, rng, measure):
    """conv2d_backward returns dx, dw, db equal to TensorFlow's gradients at strides 2 and 3."""
    cases = [
        random_case(rng, stride=2, padding="SAME", kernel="odd", odd_padding=True),
        random_case(rng, stride=2, padding="VALID", kernel="even"),
        random_case(rng, stride=3, padding="SAME", kernel="even"),
        random_case(rng, stride=3, padding="VALID", kernel="odd"),
    ]
    check_backward(submission, rng, measure, cases, "strides 2 and 3")


def _relative_difference(numeric: np.ndarray, analytic: np.ndarray) -> float:
    """|numeric - analytic| / (|numeric| + |analytic|), failing closed: NaN, infinity and two zero norms give inf."""
    if not (np.all(np.isfinite(numeric)) and np.all(np.isfinite(analytic))):
        return math.inf
    denominator = float(np.linalg.norm(numeric) + np.linalg.norm(analytic))
    return float(np.linalg.norm(numeric - analytic)) / denominator if denominator > 0 else math.inf


@pytest.mark.points(2)
def test_numeric_gradient(submission, rng, measure):
    """conv2d_backward agrees with central differences of conv2d_forward in float64 (stride 2, SAME)."""
    for _ in range(1000):  # 2 examples, 2 -> 2 channels, 3x3 kernel, and an odd SAME padding
        height, width = (int(size) for size in rng.integers(5, 8, size=2))
        case = Case(
            x=rng.normal(size=(2, height, width, 2)),
            w=rng.normal(size=(3, 3, 2, 2)),
            b=rng.normal(size=2),
            stride=2,
            padding="SAME",
        )
        if case.has_odd_padding():
            break
    x, w, b = case.x, case.w, case.b
    forward = submission.conv2d_forward
    what = f"conv2d_forward on {case.describe()}"
    y = expect_shape(
        forward(x, w, b, 2, "SAME"), case.output_shape, what=what, hint="the SAME output size, ceil(input / stride)"
    )
    expect_dtype(y, np.float64, what=what, hint="float64 arithmetic for float64 inputs (the numeric gradient needs it)")
    expect_finite(y, what=what)
    r = rng.normal(size=case.output_shape)
    dx, dw, db = unpack_gradients(
        submission.conv2d_backward(r, x, w, b, 2, "SAME"), what=f"conv2d_backward on {case.describe()}"
    )
    batch = x.shape[0]

    def loss(output) -> float:
        return float(np.sum(expect_shape(output, case.output_shape, what=what) * r))

    # d/dx: all perturbed copies of x go in one call, stacked along the batch axis.
    steps = np.eye(x.size).reshape((x.size, *x.shape)) * STEP
    stacked = np.concatenate([x + steps, x - steps]).reshape((-1, *x.shape[1:]))
    outputs = expect_shape(
        forward(stacked, w, b, 2, "SAME"),
        (2 * x.size * batch, *case.output_shape[1:]),
        what="conv2d_forward on a batch of perturbed inputs",
        hint="whether each example of the batch is convolved independently",
    )
    per_copy = (outputs.reshape((2 * x.size, *case.output_shape)) * r).sum(axis=(1, 2, 3, 4))
    numeric_dx = ((per_copy[: x.size] - per_copy[x.size :]) / (2 * STEP)).reshape(x.shape)

    def numeric(argument_index: int, value: np.ndarray) -> np.ndarray:
        gradient = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            arguments = [x, w, b]
            plus, minus = value.copy(), value.copy()
            plus[index] += STEP
            minus[index] -= STEP
            arguments[argument_index] = plus
            high = loss(forward(*arguments, 2, "SAME"))
            arguments[argument_index] = minus
            low = loss(forward(*arguments, 2, "SAME"))
            gradient[index] = (high - low) / (2 * STEP)
        return gradient

    numeric_dw, numeric_db = numeric(1, w), numeric(2, b)
    errors = []
    for name, analytic, numeric_value, like in (
        ("dx", dx, numeric_dx, x),
        ("dw", dw, numeric_dw, w),
        ("db", db, numeric_db, b),
    ):
        analytic = expect_shape(analytic, like.shape, what=f"{name} from conv2d_backward")
        error = _relative_difference(numeric_value, analytic.astype(np.float64))
        errors.append(error)
        expect_at_most(
            error,
            MAX_RELATIVE_ERROR,
            metric=f"the relative error |numeric - analytic| / (|numeric| + |analytic|) of {name}",
            baseline="central differences of your conv2d_forward, float64; NaN, infinity and two "
            "zero gradients count as infinite",
            hint=f"conv2d_backward's {name}: it must be the exact gradient of what conv2d_forward "
            "computes (same padding, stride and kernel orientation), and conv2d_forward must "
            "depend on x, w and b",
        )
    measure(
        "log10 max relative error, numeric vs analytic",
        log10_error(safe_max(errors, what="the relative errors of dx, dw and db")),
    )
