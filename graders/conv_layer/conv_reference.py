"""The grader's trusted reference for ``tf.nn.conv2d`` (NHWC), in float64 NumPy.

Written independently of the reference solution: windows come from
``sliding_window_view`` and are contracted with ``einsum``; the input gradient
is the classic "full correlation of the dilated output gradient with the
flipped kernel".  ``tests/test_conv_reference.py`` proves it equal to
``tf.nn.conv2d`` and to ``tf.GradientTape`` gradients, so the grader can use it
without importing TensorFlow (3 s per process).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(input_size: int, kernel_size: int, stride: int, padding: str) -> int:
    """Return TensorFlow's output length along one axis."""
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"unknown padding {padding!r}")
    smallest_input = 1 if padding == "SAME" else kernel_size  # the input that gives one output
    return (input_size - smallest_input + stride) // stride


def padding_amounts(input_size: int, kernel_size: int, stride: int, padding: str) -> tuple[int, int]:
    """Return the zeros TensorFlow adds (before, after) along one axis; the odd one goes after."""
    covered = (output_size(input_size, kernel_size, stride, padding) - 1) * stride + kernel_size
    total = max(covered - input_size, 0) if padding == "SAME" else 0  # grader values only
    before = total // 2
    return before, total - before


def _pad(x: np.ndarray, kernel_shape: tuple[int, int], stride: int, padding: str):
    (top, bottom) = padding_amounts(x.shape[1], kernel_shape[0], stride, padding)
    (left, right) = padding_amounts(x.shape[2], kernel_shape[1], stride, padding)
    padded = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)], mode="constant")
    return padded, (top, left)


def _windows(padded: np.ndarray, kernel_shape: tuple[int, int], stride: int, out_shape: tuple[int, int]):
    """Return the receptive fields, shape (N, H_out, W_out, C, KH, KW)."""
    views = sliding_window_view(padded, kernel_shape, axis=(1, 2))
    return views[:, ::stride, ::stride][:, : out_shape[0], : out_shape[1]]


def conv2d(x, w, b, stride: int, padding: str) -> np.ndarray:
    """Return ``tf.nn.conv2d(x, w, stride, padding) + b`` in float64."""
    x, w, b = (np.asarray(value, dtype=np.float64) for value in (x, w, b))
    kernel_shape = w.shape[:2]
    out_shape = tuple(output_size(size, k, stride, padding) for size, k in zip(x.shape[1:3], kernel_shape))
    padded, _ = _pad(x, kernel_shape, stride, padding)
    fields = _windows(padded, kernel_shape, stride, out_shape)
    return np.einsum("nhwcij,ijco->nhwo", fields, w, optimize=True) + b


def conv2d_gradients(dy, x, w, b, stride: int, padding: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dx, dw, db) in float64 for the upstream gradient ``dy`` of ``conv2d``."""
    dy, x, w = (np.asarray(value, dtype=np.float64) for value in (dy, x, w))
    kernel_h, kernel_w = w.shape[:2]
    out_h, out_w = dy.shape[1:3]
    padded, (top, left) = _pad(x, (kernel_h, kernel_w), stride, padding)
    fields = _windows(padded, (kernel_h, kernel_w), stride, (out_h, out_w))
    dw = np.einsum("nhwcij,nhwo->ijco", fields, dy, optimize=True)
    db = np.sum(dy, axis=(0, 1, 2))
    # dx: spread dy onto a grid with stride-1 gaps, pad it by the kernel size minus one,
    # and correlate it with the flipped kernel (input and output channels swapped).
    dilated = np.zeros((dy.shape[0], (out_h - 1) * stride + 1, (out_w - 1) * stride + 1, dy.shape[3]))
    dilated[:, ::stride, ::stride] = dy
    padded_h, padded_w = padded.shape[1:3]
    spread = np.pad(
        dilated,
        [(0, 0), (kernel_h - 1, padded_h - dilated.shape[1]), (kernel_w - 1, padded_w - dilated.shape[2]), (0, 0)],
    )
    fields_of_dy = sliding_window_view(spread, (kernel_h, kernel_w), axis=(1, 2))
    d_padded = np.einsum("nuvoij,ijco->nuvc", fields_of_dy, w[::-1, ::-1], optimize=True)
    dx = d_padded[:, top : top + x.shape[1], left : left + x.shape[2]]
    return dx, dw, np.asarray(db)
