"""The conv_layer grader's NumPy reference equals TensorFlow, so the grader need not import TensorFlow.

``graders/conv_layer/conv_reference.py`` is what every conv_layer check compares a
candidate with; here it is proven equal to ``tf.nn.conv2d`` (outputs, output sizes,
padding) and to ``tf.GradientTape`` gradients on many random shapes, strides 1, 2
and 3, SAME and VALID.  The reference solution is held to the same standard.
"""

import importlib
import itertools
import sys

import numpy as np
import pytest

from harness.project import Project

PROJECT_ROOT = Project.current().root

GRADER_DIR = PROJECT_ROOT / "graders" / "conv_layer"
SOLUTION_DIR = PROJECT_ROOT / "solutions" / "conv_layer"
CASES_PER_SETTING = 8
TOLERANCE = 1e-10  # float64 throughout; observed differences are ~1e-14


@pytest.fixture(scope="module")
def tf():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def grader_modules():
    """Import conv_reference and conv_cases the way the grader does (by name, from the grader folder)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(GRADER_DIR))
        patch.syspath_prepend(str(SOLUTION_DIR))
        modules = {name: importlib.import_module(name) for name in ("conv_reference", "conv_cases", "conv_layer")}
        yield modules
        for name in modules:
            sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def reference(grader_modules):
    return grader_modules["conv_reference"]


def random_settings():
    """(stride, padding, seed) for every stride 1-3 and padding, several seeds each."""
    return list(itertools.product((1, 2, 3), ("SAME", "VALID"), range(CASES_PER_SETTING)))


def draw(rng, stride, padding):
    kernel_h, kernel_w = (int(k) for k in rng.integers(1, 6, size=2))
    low_h, low_w = (kernel_h, kernel_w) if padding == "VALID" else (1, 1)
    height, width = int(rng.integers(low_h, low_h + 11)), int(rng.integers(low_w, low_w + 11))
    batch, channels_in, channels_out = (int(n) for n in rng.integers(1, 5, size=3))
    x = rng.normal(size=(batch, height, width, channels_in))
    w = rng.normal(size=(kernel_h, kernel_w, channels_in, channels_out))
    b = rng.normal(size=channels_out)
    return x, w, b


def tensorflow_conv_and_gradients(tf, x, w, b, stride, padding, dy):
    x_t, w_t, b_t = (tf.constant(value, dtype=tf.float64) for value in (x, w, b))
    with tf.GradientTape() as tape:
        tape.watch([x_t, w_t, b_t])
        y = tf.nn.conv2d(x_t, w_t, strides=stride, padding=padding) + b_t
        loss = tf.reduce_sum(y * tf.constant(dy, dtype=tf.float64)) if dy is not None else None
    if dy is None:
        return y.numpy(), None
    gradients = tape.gradient(loss, [x_t, w_t, b_t])
    return y.numpy(), [gradient.numpy() for gradient in gradients]


@pytest.mark.parametrize("stride,padding,seed", random_settings())
def test_reference_forward_and_gradients_equal_tensorflow(tf, reference, stride, padding, seed):
    rng = np.random.default_rng([stride, len(padding), seed])
    x, w, b = draw(rng, stride, padding)
    expected_y, _ = tensorflow_conv_and_gradients(tf, x, w, b, stride, padding, None)
    y = reference.conv2d(x, w, b, stride, padding)
    assert y.shape == expected_y.shape
    np.testing.assert_allclose(y, expected_y, rtol=TOLERANCE, atol=TOLERANCE)

    dy = rng.normal(size=expected_y.shape)
    _, expected_gradients = tensorflow_conv_and_gradients(tf, x, w, b, stride, padding, dy)
    gradients = reference.conv2d_gradients(dy, x, w, b, stride, padding)
    for name, got, want in zip(("dx", "dw", "db"), gradients, expected_gradients):
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)


def test_reference_output_size_equals_tensorflow(tf, reference):
    rng = np.random.default_rng(6)
    for _ in range(150):
        stride, kernel = int(rng.integers(1, 6)), int(rng.integers(1, 10))
        padding = str(rng.choice(["SAME", "VALID"]))
        size = int(rng.integers(kernel if padding == "VALID" else 1, 40))
        x = tf.zeros((1, size, 1, 1), dtype=tf.float64)
        w = tf.zeros((kernel, 1, 1, 1), dtype=tf.float64)
        expected = int(tf.nn.conv2d(x, w, strides=stride, padding=padding).shape[1])
        assert reference.output_size(size, kernel, stride, padding) == expected, (size, kernel, stride, padding)


def test_hand_cases_of_the_grader_equal_tensorflow(tf, grader_modules):
    for (size, kernel, stride, padding), expected in grader_modules["conv_cases"].HAND_CASES:
        x = tf.zeros((1, size, size, 1), dtype=tf.float64)
        w = tf.zeros((kernel, kernel, 1, 1), dtype=tf.float64)
        shape = tf.nn.conv2d(x, w, strides=stride, padding=padding).shape
        assert (shape[1], shape[2]) == (expected, expected), (size, kernel, stride, padding)


@pytest.mark.parametrize("size,kernel,stride", [(6, 3, 2), (5, 2, 1), (8, 3, 3), (5, 4, 1), (8, 5, 2)])
def test_same_padding_puts_the_odd_pixel_at_the_bottom_right_like_tensorflow(tf, reference, size, kernel, stride):
    """One-hot inputs show where TensorFlow pads; the reference's padding_amounts must agree."""
    top, bottom = reference.padding_amounts(size, kernel, stride, "SAME")
    assert (top + bottom) % 2 == 1 and bottom == top + 1
    w = np.zeros((kernel, 1, 1, 1))
    w[0, 0, 0, 0] = 1.0  # the output at row p reads padded row p * stride, i.e. input row p * stride - top
    x = np.arange(1.0, size + 1).reshape(1, size, 1, 1)
    y = tf.nn.conv2d(x, w, strides=stride, padding="SAME").numpy()[0, :, 0, 0]
    rows = np.arange(len(y)) * stride - top
    expected = np.where(rows >= 0, rows + 1.0, 0.0)
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("stride,padding,seed", random_settings()[::3])
def test_reference_solution_equals_the_grader_reference(reference, grader_modules, stride, padding, seed):
    solution = grader_modules["conv_layer"]
    rng = np.random.default_rng([seed, stride, 7 + len(padding)])
    x, w, b = draw(rng, stride, padding)
    y = solution.conv2d_forward(x, w, b, stride, padding)
    np.testing.assert_allclose(y, reference.conv2d(x, w, b, stride, padding), rtol=TOLERANCE, atol=TOLERANCE)
    dy = rng.normal(size=y.shape)
    for got, want in zip(
        solution.conv2d_backward(dy, x, w, b, stride, padding), reference.conv2d_gradients(dy, x, w, b, stride, padding)
    ):
        np.testing.assert_allclose(got, want, rtol=TOLERANCE, atol=TOLERANCE)


def test_cases_with_odd_padding_really_have_it(grader_modules):
    cases = grader_modules["conv_cases"]
    rng = np.random.default_rng(0)
    for stride, kernel in itertools.product((1, 2, 3), ("odd", "even")):
        if stride == 1 and kernel == "odd":
            continue  # stride 1 with an odd kernel always pads an even total
        case = cases.random_case(rng, stride=stride, padding="SAME", kernel=kernel, odd_padding=True)
        assert case.has_odd_padding()
        assert case.x.shape[0] >= 2 and min(case.w.shape[:2]) >= 2
