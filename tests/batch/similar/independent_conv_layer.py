"""A convolution layer written independently of the reference: loops over output positions, explicit pads."""

import numpy as np


def conv2d_output_size(input_size, kernel_size, stride, padding):
    if padding == "SAME":
        return -(-input_size // stride)
    if padding == "VALID":
        return (input_size - kernel_size) // stride + 1
    raise ValueError("padding must be SAME or VALID")


def _pads(size, kernel, stride, padding):
    if padding == "VALID":
        return 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv2d_forward(x, w, b, stride, padding):
    batch, rows, cols, _ = x.shape
    k_rows, k_cols, _, filters = w.shape
    top, bottom = _pads(rows, k_rows, stride, padding)
    left, right = _pads(cols, k_cols, stride, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    out_rows = conv2d_output_size(rows, k_rows, stride, padding)
    out_cols = conv2d_output_size(cols, k_cols, stride, padding)
    result = np.empty((batch, out_rows, out_cols, filters), dtype=x.dtype)
    for i in range(out_rows):
        for j in range(out_cols):
            window = padded[:, i * stride:i * stride + k_rows, j * stride:j * stride + k_cols, :]
            result[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return result


def conv2d_backward(dy, x, w, b, stride, padding):
    batch, rows, cols, _ = x.shape
    k_rows, k_cols, _, _ = w.shape
    top, bottom = _pads(rows, k_rows, stride, padding)
    left, right = _pads(cols, k_cols, stride, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    grad_padded = np.zeros_like(padded)
    grad_w = np.zeros_like(w)
    for i in range(dy.shape[1]):
        for j in range(dy.shape[2]):
            rows_slice = slice(i * stride, i * stride + k_rows)
            cols_slice = slice(j * stride, j * stride + k_cols)
            window = padded[:, rows_slice, cols_slice, :]
            grad_w += np.tensordot(window, dy[:, i, j, :], axes=([0], [0]))
            grad_padded[:, rows_slice, cols_slice, :] += np.tensordot(dy[:, i, j, :], w, axes=([1], [3]))
    grad_x = grad_padded[:, top:top + rows, left:left + cols, :]
    return grad_x, grad_w, dy.sum(axis=(0, 1, 2))
