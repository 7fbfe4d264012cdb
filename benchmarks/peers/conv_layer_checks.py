"""The conv_layer checks ported to plain asserts, for nbgrader, otter-grader and the direct floor (peers.py).

Ported from graders/conv_layer with the same case counts, shapes, strides, paddings and tolerances: output sizes
on the 14 hand cases and 40 random ones, forward output shape and values against a float64 reference (6 cases),
forward VALID and SAME (4 cases each, one float32), the bias per output channel, backward against the reference
gradients at stride 1 (3 cases) and strides 2 and 3 (4 cases), ValueError on bad arguments, dtypes preserved, and
the numeric gradient check (central differences of conv2d_forward, relative error at most 1e-7). The reference is
the grader's conv_reference.py (sliding windows and einsum), copied here.

Every name not starting with ``check_`` is a helper: peers.py copies the helpers into one locked cell (nbgrader)
or the top of the test file (otter), and each ``check_`` function into its own test cell or test case.
``candidate`` is any object with the candidate's functions as attributes.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RELATIVE_TOLERANCE = 1e-4
STEP = 1e-4
MAX_RELATIVE_ERROR = 1e-7
KERNEL_SIZES = {"odd": (3, 5), "even": (2, 4)}
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
CANDIDATE_NAMES = ("conv2d_output_size", "conv2d_forward", "conv2d_backward")
CHECK_POINTS = {
    "check_output_size_hand_cases": 2,
    "check_output_size_random": 1,
    "check_output_shape": 1,
    "check_forward_valid": 3,
    "check_forward_same": 3,
    "check_bias_per_output_channel": 1,
    "check_backward_stride_1": 3,
    "check_backward_stride_2_and_3": 2,
    "check_bad_arguments_raise_value_error": 1,
    "check_dtype_preserved": 1,
    "check_numeric_gradient": 2,
}


def output_size(input_size, kernel_size, stride, padding):
    """TensorFlow's output length along one axis."""
    smallest_input = 1 if padding == "SAME" else kernel_size
    return (input_size - smallest_input + stride) // stride


def padding_amounts(input_size, kernel_size, stride, padding):
    """The zeros TensorFlow adds (before, after) along one axis; the odd one goes after."""
    covered = (output_size(input_size, kernel_size, stride, padding) - 1) * stride + kernel_size
    total = max(covered - input_size, 0) if padding == "SAME" else 0
    return total // 2, total - total // 2


def pad_input(x, kernel_shape, stride, padding):
    top, bottom = padding_amounts(x.shape[1], kernel_shape[0], stride, padding)
    left, right = padding_amounts(x.shape[2], kernel_shape[1], stride, padding)
    return np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)]), (top, left)


def windows(padded, kernel_shape, stride, out_shape):
    views = sliding_window_view(padded, kernel_shape, axis=(1, 2))
    return views[:, ::stride, ::stride][:, : out_shape[0], : out_shape[1]]


def reference_conv2d(x, w, b, stride, padding):
    """``tf.nn.conv2d(x, w, stride, padding) + b`` in float64."""
    x, w, b = (np.asarray(value, dtype=np.float64) for value in (x, w, b))
    kernel_shape = w.shape[:2]
    out_shape = tuple(output_size(size, k, stride, padding) for size, k in zip(x.shape[1:3], kernel_shape))
    padded, _ = pad_input(x, kernel_shape, stride, padding)
    fields = windows(padded, kernel_shape, stride, out_shape)
    return np.einsum("nhwcij,ijco->nhwo", fields, w, optimize=True) + b


def reference_gradients(dy, x, w, b, stride, padding):
    """(dx, dw, db) in float64 for the upstream gradient ``dy`` of ``reference_conv2d``."""
    dy, x, w = (np.asarray(value, dtype=np.float64) for value in (dy, x, w))
    kernel_h, kernel_w = w.shape[:2]
    out_h, out_w = dy.shape[1:3]
    padded, (top, left) = pad_input(x, (kernel_h, kernel_w), stride, padding)
    fields = windows(padded, (kernel_h, kernel_w), stride, (out_h, out_w))
    dw = np.einsum("nhwcij,nhwo->ijco", fields, dy, optimize=True)
    db = np.sum(dy, axis=(0, 1, 2))
    dilated = np.zeros((dy.shape[0], (out_h - 1) * stride + 1, (out_w - 1) * stride + 1, dy.shape[3]))
    dilated[:, ::stride, ::stride] = dy
    padded_h, padded_w = padded.shape[1:3]
    spread = np.pad(
        dilated,
        [(0, 0), (kernel_h - 1, padded_h - dilated.shape[1]), (kernel_w - 1, padded_w - dilated.shape[2]), (0, 0)],
    )
    fields_of_dy = sliding_window_view(spread, (kernel_h, kernel_w), axis=(1, 2))
    d_padded = np.einsum("nuvoij,ijco->nuvc", fields_of_dy, w[::-1, ::-1], optimize=True)
    return d_padded[:, top : top + x.shape[1], left : left + x.shape[2]], dw, np.asarray(db)


def case_output_shape(case):
    x, w, _, stride, padding = case
    sizes = [output_size(size, kernel, stride, padding) for size, kernel in zip(x.shape[1:3], w.shape[:2])]
    return (x.shape[0], *sizes, w.shape[3])


def has_odd_padding(case):
    x, w, _, stride, padding = case
    pairs = zip(x.shape[1:3], w.shape[:2])
    return any(sum(padding_amounts(size, kernel, stride, padding)) % 2 == 1 for size, kernel in pairs)


def random_case(rng, stride, padding, kernel="odd", dtype=np.float64, odd_padding=False):
    """Draw (x, w, b, stride, padding) as the grader's conv_cases.random_case does."""
    for _ in range(1000):
        kernel_height, kernel_width = (int(rng.choice(KERNEL_SIZES[kernel])) for _ in range(2))
        smallest = (kernel_height, kernel_width) if padding == "VALID" else (2, 2)
        height, width = (int(rng.integers(low, low + 9 + (padding == "SAME"))) for low in smallest)
        batch = int(rng.integers(2, 4))
        channels_in, channels_out = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        case = (
            rng.normal(size=(batch, height, width, channels_in)).astype(dtype),
            rng.normal(size=(kernel_height, kernel_width, channels_in, channels_out)).astype(dtype),
            rng.normal(size=channels_out).astype(dtype),
            stride,
            padding,
        )
        if not odd_padding or has_odd_padding(case):
            return case
    raise RuntimeError("could not draw a case with odd padding")


def assert_matches(actual, expected):
    """Assert ``actual`` equals the float64 ``expected`` up to float32 rounding."""
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    tolerance = RELATIVE_TOLERANCE * scale
    assert np.allclose(actual, expected, rtol=RELATIVE_TOLERANCE, atol=tolerance), "values differ"


def assert_backward(candidate, rng, cases):
    for case in cases:
        dy = rng.normal(size=case_output_shape(case))
        gradients = candidate.conv2d_backward(dy, *case)
        assert len(gradients) == 3
        for value, want in zip(gradients, reference_gradients(dy, *case)):
            assert_matches(value, want)


def relative_difference(numeric, analytic):
    if not (np.all(np.isfinite(numeric)) and np.all(np.isfinite(analytic))):
        return np.inf
    denominator = float(np.linalg.norm(numeric) + np.linalg.norm(analytic))
    return float(np.linalg.norm(numeric - analytic)) / denominator if denominator > 0 else np.inf


def check_output_size_hand_cases(candidate):
    for (size, kernel, stride, padding), expected in HAND_CASES:
        assert candidate.conv2d_output_size(size, kernel, stride, padding) == expected, (size, kernel, stride)


def check_output_size_random(candidate):
    rng = np.random.default_rng(11)
    for index in range(40):
        stride = int(rng.integers(1, 6)) if index % 2 else int(rng.integers(2, 6))
        kernel = int(rng.integers(1, 10))
        padding = ("SAME", "VALID")[index % 4 >= 2]
        size = int(rng.integers(kernel if padding == "VALID" else 1, 65))
        expected = output_size(size, kernel, stride, padding)
        assert candidate.conv2d_output_size(size, kernel, stride, padding) == expected, (size, kernel, stride)


def check_output_shape(candidate):
    rng = np.random.default_rng(12)
    for padding in ("VALID", "SAME"):
        for stride in (1, 2, 3):
            case = random_case(rng, stride, padding, kernel=("odd", "even")[stride % 2])
            assert_matches(candidate.conv2d_forward(*case), reference_conv2d(*case))


def forward_cases(rng, padding):
    return [
        random_case(rng, 1, padding, kernel="odd"),
        random_case(rng, 1, padding, kernel="even"),
        random_case(rng, 2, padding, kernel="odd", odd_padding=padding == "SAME"),
        random_case(rng, 2, padding, kernel="even", dtype=np.float32),
    ]


def check_forward_valid(candidate):
    for case in forward_cases(np.random.default_rng(13), "VALID"):
        assert_matches(candidate.conv2d_forward(*case), reference_conv2d(*case))


def check_forward_same(candidate):
    for case in forward_cases(np.random.default_rng(14), "SAME"):
        assert_matches(candidate.conv2d_forward(*case), reference_conv2d(*case))


def check_bias_per_output_channel(candidate):
    x, w, b, _, _ = random_case(np.random.default_rng(15), 1, "SAME")
    y = candidate.conv2d_forward(np.zeros_like(x), w, b, 1, "SAME")
    assert_matches(y, np.broadcast_to(b, case_output_shape((x, w, b, 1, "SAME"))))


def check_backward_stride_1(candidate):
    rng = np.random.default_rng(16)
    cases = [
        random_case(rng, 1, "SAME", kernel="even", odd_padding=True),
        random_case(rng, 1, "SAME", kernel="odd"),
        random_case(rng, 1, "VALID", kernel="odd"),
    ]
    assert_backward(candidate, rng, cases)


def check_backward_stride_2_and_3(candidate):
    rng = np.random.default_rng(17)
    cases = [
        random_case(rng, 2, "SAME", kernel="odd", odd_padding=True),
        random_case(rng, 2, "VALID", kernel="even"),
        random_case(rng, 3, "SAME", kernel="even"),
        random_case(rng, 3, "VALID", kernel="odd"),
    ]
    assert_backward(candidate, rng, cases)


def check_bad_arguments_raise_value_error(candidate):
    x, w, b, _, _ = random_case(np.random.default_rng(18), 1, "SAME")
    calls = [
        lambda: candidate.conv2d_forward(x, w, b, 1, "same"),
        lambda: candidate.conv2d_forward(x, w, b, 1, "FULL"),
        lambda: candidate.conv2d_output_size(5, 3, 1, "full"),
        lambda: candidate.conv2d_forward(np.concatenate([x, x[..., :1]], axis=-1), w, b, 1, "SAME"),
    ]
    for call in calls:
        try:
            call()
        except ValueError:
            continue
        raise AssertionError("no ValueError")


def check_dtype_preserved(candidate):
    rng = np.random.default_rng(19)
    for dtype in (np.float32, np.float64):
        case = random_case(rng, 1, "SAME", dtype=dtype)
        y = candidate.conv2d_forward(*case)
        assert y.dtype == dtype, y.dtype
        assert_matches(y, reference_conv2d(*case))
        dy = rng.normal(size=case_output_shape(case)).astype(dtype)
        for value, want in zip(candidate.conv2d_backward(dy, *case), reference_gradients(dy, *case)):
            assert value.dtype == dtype, value.dtype
            assert_matches(value, want)


def check_numeric_gradient(candidate):
    rng = np.random.default_rng(20)
    for _ in range(1000):
        height, width = (int(size) for size in rng.integers(5, 8, size=2))
        case = (rng.normal(size=(2, height, width, 2)), rng.normal(size=(3, 3, 2, 2)), rng.normal(size=2), 2, "SAME")
        if has_odd_padding(case):
            break
    x, w, b, _, _ = case
    shape = case_output_shape(case)
    forward = candidate.conv2d_forward
    y = forward(x, w, b, 2, "SAME")
    assert y.shape == shape and y.dtype == np.float64 and np.all(np.isfinite(y))
    r = rng.normal(size=shape)
    dx, dw, db = candidate.conv2d_backward(r, x, w, b, 2, "SAME")
    steps = np.eye(x.size).reshape((x.size, *x.shape)) * STEP
    stacked = np.concatenate([x + steps, x - steps]).reshape((-1, *x.shape[1:]))
    per_copy = (forward(stacked, w, b, 2, "SAME").reshape((2 * x.size, *shape)) * r).sum(axis=(1, 2, 3, 4))
    numeric_dx = ((per_copy[: x.size] - per_copy[x.size :]) / (2 * STEP)).reshape(x.shape)

    def numeric(argument_index, value):
        gradient = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            arguments = [x, w, b]
            plus, minus = value.copy(), value.copy()
            plus[index] += STEP
            minus[index] -= STEP
            arguments[argument_index] = plus
            high = float(np.sum(forward(*arguments, 2, "SAME") * r))
            arguments[argument_index] = minus
            low = float(np.sum(forward(*arguments, 2, "SAME") * r))
            gradient[index] = (high - low) / (2 * STEP)
        return gradient

    for analytic, numeric_value in ((dx, numeric_dx), (dw, numeric(1, w)), (db, numeric(2, b))):
        error = relative_difference(numeric_value, np.asarray(analytic, dtype=np.float64))
        assert error <= MAX_RELATIVE_ERROR, error
