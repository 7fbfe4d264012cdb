"""Fresh random convolution cases for the checks, and the comparisons they share.

Every case is drawn from the check's ``rng`` under constraints that make the
usual mistakes visible: kernels larger than 1x1 (a flipped kernel differs),
batches of 2 or more (a missing batch sum shows), and, where asked, SAME
padding whose total is odd (padding on the wrong side shows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import conv_reference as reference
import numpy as np

from harness.checks import expect_array, expect_close, expect_scalar_close, expect_type, relative_error, safe_max

# (input size, kernel size, stride, padding) -> output size, as tf.nn.conv2d computes it;
# tests/test_conv_reference.py proves every row against TensorFlow.
HAND_CASES = [
    ((5, 3, 1, "VALID"), 3),
    ((5, 3, 2, "VALID"), 2),
    ((6, 3, 2, "VALID"), 2),
    ((7, 3, 2, "VALID"), 3),
    ((28, 5, 1, "VALID"), 24),
    ((10, 4, 3, "VALID"), 3),
    ((5, 5, 1, "VALID"), 1),
    ((5, 3, 1, "SAME"), 5),
    ((5, 3, 2, "SAME"), 3),
    ((6, 3, 2, "SAME"), 3),
    ((7, 2, 3, "SAME"), 3),
    ((1, 3, 2, "SAME"), 1),
    ((28, 5, 2, "SAME"), 14),
    ((4, 4, 4, "SAME"), 1),
]

# Calibration (CALIBRATION.md, 20 seeds, the reference and the im2col, loop and padding-formula variants):
# the largest relative error of any correct solution is 10^-15.1 (7e-16) on float64 inputs and 10^-6.70
# (2.0e-7) on float32 inputs, so 1e-4 leaves a margin of 500x over float32 rounding (a solution computing in
# float32 passes these value checks).  A wrong padding side, flipped kernel, missing bias, ignored stride or
# missing batch sum is off by O(1) relative to the largest output; NaN, infinity and all-zero outputs fail.
RELATIVE_TOLERANCE = 1e-4
KERNEL_SIZES = {"odd": (3, 5), "even": (2, 4)}


@dataclass
class Case:
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    padding: str

    def describe(self) -> str:
        return (
            f"x of shape {self.x.shape} ({self.x.dtype}), w of shape {self.w.shape}, "
            f"stride {self.stride}, padding {self.padding!r}"
        )

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        height, width = (
            reference.output_size(size, kernel, self.stride, self.padding)
            for size, kernel in zip(self.x.shape[1:3], self.w.shape[:2])
        )
        return (self.x.shape[0], height, width, self.w.shape[3])

    def has_odd_padding(self) -> bool:
        return any(
            sum(reference.padding_amounts(size, kernel, self.stride, self.padding)) % 2 == 1
            for size, kernel in zip(self.x.shape[1:3], self.w.shape[:2])
        )


def random_case(
    rng: np.random.Generator,
    *,
    stride: int,
    padding: str,
    kernel: str = "odd",
    dtype=np.float64,
    odd_padding: bool = False,
    min_batch: int = 2,
) -> Case:
    """Draw a case with the given stride, padding and kernel parity ("odd" or "even")."""
    for _ in range(1000):
        kernel_height, kernel_width = (int(rng.choice(KERNEL_SIZES[kernel])) for _ in range(2))
        smallest = (kernel_height, kernel_width) if padding == "VALID" else (2, 2)  # SAME allows k > H
        height, width = (int(rng.integers(low, low + 9 + (padding == "SAME"))) for low in smallest)
        batch = int(rng.integers(min_batch, 4))
        channels_in, channels_out = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        case = Case(
            x=rng.normal(size=(batch, height, width, channels_in)).astype(dtype),
            w=rng.normal(size=(kernel_height, kernel_width, channels_in, channels_out)).astype(dtype),
            b=rng.normal(size=channels_out).astype(dtype),
            stride=stride,
            padding=padding,
        )
        if not odd_padding or case.has_odd_padding():
            return case
    raise RuntimeError("could not draw a case with odd padding")  # pragma: no cover


def log10_error(error: float) -> float:
    """Return log10 of an error for ``measure`` (which keeps 6 decimals); -18 stands for exactly 0, NaN for no error."""
    if not math.isfinite(error) or error < 0:
        return math.nan
    return math.log10(error) if error > 0 else -18.0


def expect_matches(actual, expected, *, what: str, hint: str) -> float:
    """Fail unless ``actual`` equals the float64 ``expected`` up to float32 rounding; return the relative error."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)  # grader values only
    expect_close(actual, expected, what=what, rtol=RELATIVE_TOLERANCE, atol=RELATIVE_TOLERANCE * scale, hint=hint)
    return relative_error(actual, expected)


def unpack_gradients(value, *, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dx, dw, db) from what conv2d_backward returned, or fail saying what it was."""
    hint = "the return statement of conv2d_backward: return dx, dw, db"
    expect_type(value, (tuple, list), what=f"what {what} returned", hint=hint)
    expect_scalar_close(len(value), 3, what=f"the number of arrays {what} returned", rtol=0.0, atol=0.0, hint=hint)
    return tuple(
        expect_array(item, what=f"{name} from {what}", hint=hint) for item, name in zip(value, ("dx", "dw", "db"))
    )


def check_backward(submission, rng, measure, cases, label: str) -> None:
    """Compare conv2d_backward on each case with the reference gradients; record the worst error."""
    errors = []
    for case in cases:
        dy = rng.normal(size=case.output_shape)
        what = f"conv2d_backward on {case.describe()}"
        gradients = unpack_gradients(
            submission.conv2d_backward(dy, case.x, case.w, case.b, case.stride, case.padding), what=what
        )
        expected = reference.conv2d_gradients(dy, case.x, case.w, case.b, case.stride, case.padding)
        hints = {
            "dx": "how dy is scattered back through every kernel position (with the stride) and how the "
            "padding is cropped off",
            "dw": "dw[i, j] = sum over the batch and every output position of x_window * dy",
            "db": "db = dy summed over the batch, height and width",
        }
        for name, value, want in zip(("dx", "dw", "db"), gradients, expected):
            errors.append(expect_matches(value, want, what=f"{name} from {what}", hint=hints[name]))
    measure("log10 max relative error", log10_error(safe_max(errors, what=f"the relative errors at {label}")))
