"""Public checks of the conv_layer exercise: a NumPy convolution layer (NHWC), forward and backward.

Every array is drawn fresh from the check's ``rng``; the expected values come from
``conv_reference.py`` (float64, proven equal to ``tf.nn.conv2d`` and its gradients).
"""

import conv_reference as reference
import numpy as np
import pytest
from conv_cases import HAND_CASES, check_backward, expect_matches, log10_error, random_case, unpack_gradients

from harness.checks import expect_dtype, expect_raises_in_submission, expect_scalar_close, expect_shape, safe_max

SIZE_HINT = "conv2d_output_size: ceil(input / stride) for SAME, floor((input - kernel) / stride) + 1 for VALID"


def expect_size(value, expected: int, call: str) -> None:
    """Fail unless conv2d_output_size returned exactly ``expected``."""
    expect_scalar_close(value, expected, what=call, rtol=0.0, atol=0.0, hint=SIZE_HINT)


@pytest.mark.points(2)
def test_output_size_hand_cases(submission):
    """conv2d_output_size gives TensorFlow's output size on hand-checked cases (SAME/VALID, strides 1-4)."""
    for (size, kernel, stride, padding), expected in HAND_CASES:
        value = submission.conv2d_output_size(size, kernel, stride, padding)
        expect_size(value, expected, f"conv2d_output_size({size}, {kernel}, {stride}, {padding!r})")


@pytest.mark.points(1)
def test_output_shape(submission, rng):
    """conv2d_forward returns the convolution, of shape (N, H_out, W_out, C_out), for SAME and VALID at strides 1-3."""
    for padding in ("VALID", "SAME"):
        for stride in (1, 2, 3):
            case = random_case(rng, stride=stride, padding=padding, kernel=("odd", "even")[stride % 2])
            y = submission.conv2d_forward(case.x, case.w, case.b, case.stride, case.padding)
            what = f"conv2d_forward on {case.describe()}"
            expect_shape(
                y,
                case.output_shape,
                what=what,
                hint=f"the output size ({SIZE_HINT}) and the last axis (C_out = w.shape[3])",
            )
            expect_matches(
                y,
                reference.conv2d(case.x, case.w, case.b, case.stride, case.padding),
                what=what,
                hint="the window taken at each output position (with the stride), the kernel and the bias",
            )


def _check_forward(submission, rng, measure, padding: str):
    cases = [
        random_case(rng, stride=1, padding=padding, kernel="odd"),
        random_case(rng, stride=1, padding=padding, kernel="even"),
        random_case(rng, stride=2, padding=padding, kernel="odd", odd_padding=padding == "SAME"),
        random_case(rng, stride=2, padding=padding, kernel="even", dtype=np.float32),
    ]
    errors = {}
    for case in cases:
        y = submission.conv2d_forward(case.x, case.w, case.b, case.stride, case.padding)
        expected = reference.conv2d(case.x, case.w, case.b, case.stride, case.padding)
        hint = (
            "the padding (SAME puts the extra row/column at the bottom/right), the stride of the "
            "window, the kernel orientation (cross-correlation: do not flip w) and the bias"
            if padding == "SAME"
            else "the output size, the stride of the window, the kernel orientation "
            "(cross-correlation: do not flip w) and the bias"
        )
        error = expect_matches(y, expected, what=f"conv2d_forward on {case.describe()}", hint=hint)
        errors.setdefault(case.x.dtype.name, []).append(error)
    for dtype, values in errors.items():
        measure(
            f"log10 max relative error, {dtype} inputs",
            log10_error(safe_max(values, what=f"the relative errors on {dtype} inputs")),
        )


@pytest.mark.points(3)
def test_forward_valid(submission, rng, measure):
    """conv2d_forward matches tf.nn.conv2d with VALID padding (strides 1 and 2, odd and even kernels)."""
    _check_forward(submission, rng, measure, "VALID")


@pytest.mark.points(3)
def test_forward_same(submission, rng, measure):
    """conv2d_forward matches tf.nn.conv2d with SAME padding (strides 1 and 2, odd and even kernels)."""
    _check_forward(submission, rng, measure, "SAME")


@pytest.mark.points(1)
def test_bias_per_output_channel(submission, rng):
    """With a zero input, conv2d_forward returns the bias b[o] at every position of output channel o."""
    case = random_case(rng, stride=1, padding="SAME", kernel="odd")
    zeros = np.zeros_like(case.x)
    y = submission.conv2d_forward(zeros, case.w, case.b, 1, "SAME")
    expected = np.broadcast_to(case.b, case.output_shape)
    expect_matches(
        y,
        expected,
        what=f"conv2d_forward of a zero input with bias {np.round(case.b, 3).tolist()}",
        hint="adding b (shape (C_out,)) along the last axis of the output",
    )


@pytest.mark.points(3)
def test_backward_stride_1(submission, rng, measure):
    """conv2d_backward returns dx, dw, db equal to TensorFlow's gradients at stride 1 (SAME and VALID)."""
    cases = [
        random_case(rng, stride=1, padding="SAME", kernel="even", odd_padding=True),
        random_case(rng, stride=1, padding="SAME", kernel="odd"),
        random_case(rng, stride=1, padding="VALID", kernel="odd"),
    ]
    check_backward(submission, rng, measure, cases, "stride 1")


@pytest.mark.points(1)
def test_bad_arguments_raise_value_error(submission, rng):
    """An unknown padding string or mismatched channels raise ValueError."""
    case = random_case(rng, stride=1, padding="SAME", kernel="odd")
    for padding in ("same", "FULL"):
        expect_raises_in_submission(
            lambda padding=padding: submission.conv2d_forward(case.x, case.w, case.b, 1, padding),
            accepted=("ValueError",),
            what=f"conv2d_forward(..., padding={padding!r})",
            hint="checking padding is 'SAME' or 'VALID'",
        )
    expect_raises_in_submission(
        lambda: submission.conv2d_output_size(5, 3, 1, "full"),
        accepted=("ValueError",),
        what="conv2d_output_size(5, 3, 1, 'full')",
        hint="checking padding is 'SAME' or 'VALID'",
    )
    other_channels = np.concatenate([case.x, case.x[..., :1]], axis=-1)
    expect_raises_in_submission(
        lambda: submission.conv2d_forward(other_channels, case.w, case.b, 1, "SAME"),
        accepted=("ValueError",),
        what=f"conv2d_forward with x of {other_channels.shape[-1]} channels and w for {case.w.shape[2]}",
        hint="comparing x.shape[3] with w.shape[2]",
    )


@pytest.mark.points(1)
def test_dtype_preserved(submission, rng):
    """float32 inputs give float32 outputs and gradients, float64 give float64, each holding the right values."""
    for dtype in (np.float32, np.float64):
        case = random_case(rng, stride=1, padding="SAME", kernel="odd", dtype=dtype)
        what = f"conv2d_forward on {case.describe()}"
        y = submission.conv2d_forward(case.x, case.w, case.b, 1, "SAME")
        expect_dtype(
            y,
            dtype,
            what=what,
            hint="the dtype of the output array you allocate (np.zeros defaults to float64) and any astype()",
        )
        expect_matches(
            y,
            reference.conv2d(case.x, case.w, case.b, 1, "SAME"),
            what=what,
            hint="the SAME padding, the kernel and the bias",
        )
        dy = rng.normal(size=case.output_shape).astype(dtype)
        what = f"conv2d_backward on {case.describe()}"
        gradients = unpack_gradients(submission.conv2d_backward(dy, case.x, case.w, case.b, 1, "SAME"), what=what)
        expected = reference.conv2d_gradients(dy, case.x, case.w, case.b, 1, "SAME")
        for name, value, want in zip(("dx", "dw", "db"), gradients, expected):
            expect_dtype(
                value,
                dtype,
                what=f"{name} from {what}",
                hint="the dtype of the gradient arrays you allocate and any astype()",
            )
            expect_matches(value, want, what=f"{name} from {what}", hint=f"how {name} is computed")
