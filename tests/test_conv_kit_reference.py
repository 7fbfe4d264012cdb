"""The candidate kit's TensorFlow reference for conv_layer equals the grader's NumPy one."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

GRADER = Path(__file__).resolve().parent.parent / "graders" / "conv_layer"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


numpy_reference = load(GRADER / "conv_reference.py", "numpy_conv_reference")
kit_reference = load(GRADER / "kit" / "conv_reference.py", "kit_conv_reference")


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_sizes_and_padding_agree(padding, stride):
    for size in range(1, 9):
        for kernel in range(1, 6):
            if padding == "VALID" and kernel > size:
                continue
            assert kit_reference.output_size(size, kernel, stride, padding) == numpy_reference.output_size(
                size, kernel, stride, padding
            )
            assert kit_reference.padding_amounts(size, kernel, stride, padding) == numpy_reference.padding_amounts(
                size, kernel, stride, padding
            ), (size, kernel, stride, padding)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("stride", [1, 2])
def test_values_and_gradients_agree(padding, stride):
    rng = np.random.default_rng(stride)
    x, w, b = rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    y = numpy_reference.conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(kit_reference.conv2d(x, w, b, stride, padding), y, atol=1e-10)
    dy = rng.normal(size=y.shape)
    for kit, grader in zip(
        kit_reference.conv2d_gradients(dy, x, w, b, stride, padding),
        numpy_reference.conv2d_gradients(dy, x, w, b, stride, padding),
    ):
        np.testing.assert_allclose(kit, grader, atol=1e-10)
