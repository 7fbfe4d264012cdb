"""A 2-D convolution layer from scratch in NumPy (NHWC), forward and backward.

Conventions are TensorFlow's (``tf.nn.conv2d``):

- ``x`` has shape ``(N, H, W, C_in)``, the kernel ``w`` has shape ``(KH, KW, C_in, C_out)``,
  the bias ``b`` has shape ``(C_out,)`` and the output has shape ``(N, H_out, W_out, C_out)``.
- The layer computes a cross-correlation (the kernel is *not* flipped)::

      y[n, p, q, o] = b[o] + sum_{i, j, c} x_padded[n, p*stride + i, q*stride + j, c] * w[i, j, c, o]

- ``"VALID"``: no padding, ``H_out = floor((H - KH) / stride) + 1``.
- ``"SAME"``: ``H_out = ceil(H / stride)``; the input is padded with zeros by
  ``max((H_out - 1) * stride + KH - H, 0)`` rows in total, half on top and the rest
  (the extra row, when the total is odd) at the bottom; the same for columns (extra on the right).
"""

from __future__ import annotations

import numpy as np

PADDINGS = ("SAME", "VALID")


def conv2d_output_size(input_size, kernel_size, stride, padding):
    """Return the output length along one spatial axis, as ``tf.nn.conv2d`` computes it.

    ``padding`` is ``"SAME"`` or ``"VALID"``; anything else raises ``ValueError``.
    """
    # BEGIN SOLUTION: return the output size for "SAME" and "VALID"; raise ValueError for any other padding
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'SAME' or 'VALID', not {padding!r}")
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, not {stride!r}")
    if padding == "SAME":
        return -(-input_size // stride)
    if kernel_size > input_size:
        raise ValueError(f"a kernel of size {kernel_size} does not fit in an input of size {input_size} "
                         "with VALID padding")
    return (input_size - kernel_size) // stride + 1
    # END SOLUTION


def _padding_amounts(input_size, kernel_size, stride, padding):
    """Return ``(before, after)``: the zeros added on the top/left and on the bottom/right of one axis.

    A helper for ``conv2d_forward`` and ``conv2d_backward``; it is not graded on its own.
    """
    # BEGIN SOLUTION: return (before, after) for one axis; VALID pads nothing (a helper for the two functions below)
    if padding == "VALID":
        return 0, 0
    output_size = conv2d_output_size(input_size, kernel_size, stride, padding)
    total = max((output_size - 1) * stride + kernel_size - input_size, 0)
    return total // 2, total - total // 2
    # END SOLUTION


def conv2d_forward(x, w, b, stride, padding):
    """Return the convolution of ``x`` (N, H, W, C_in) with ``w`` (KH, KW, C_in, C_out) plus ``b`` (C_out,).

    ``stride`` is an int used along both spatial axes; ``padding`` is ``"SAME"`` or ``"VALID"``.
    The result has shape (N, H_out, W_out, C_out) and the dtype of ``x`` and ``w`` (float32 in,
    float32 out; float64 in, float64 out).  Raises ``ValueError`` for an unknown padding or when
    the channels of ``x`` and ``w`` differ.
    """
    # BEGIN SOLUTION: pad the input, then add up one shifted, strided slice per kernel position
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'SAME' or 'VALID', not {padding!r}")
    n, height, width, channels = x.shape
    kernel_height, kernel_width, kernel_channels, filters = w.shape
    if channels != kernel_channels:
        raise ValueError(f"x has {channels} channels but the kernel expects {kernel_channels}")
    if b.shape != (filters,):
        raise ValueError(f"the bias should have shape ({filters},), not {b.shape}")
    out_height = conv2d_output_size(height, kernel_height, stride, padding)
    out_width = conv2d_output_size(width, kernel_width, stride, padding)
    top, bottom = _padding_amounts(height, kernel_height, stride, padding)
    left, right = _padding_amounts(width, kernel_width, stride, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    dtype = np.result_type(x.dtype, w.dtype)
    y = np.zeros((n, out_height, out_width, filters), dtype=dtype)
    for i in range(kernel_height):
        for j in range(kernel_width):
            window = padded[:, i:i + stride * out_height:stride, j:j + stride * out_width:stride, :]
            y += np.tensordot(window, w[i, j], axes=([3], [0]))
    y += b
    return y
    # END SOLUTION


def conv2d_backward(dy, x, w, b, stride, padding):
    """Return ``(dx, dw, db)``, the gradients of a loss with respect to ``x``, ``w`` and ``b``.

    ``dy`` is the gradient of the loss with respect to the output of ``conv2d_forward(x, w, b,
    stride, padding)``, shape (N, H_out, W_out, C_out).  ``dx``, ``dw`` and ``db`` have the shapes
    (and dtypes) of ``x``, ``w`` and ``b``.
    """
    # BEGIN SOLUTION: the transpose of the forward pass: scatter dy back through every kernel position
    dy, x, w, b = np.asarray(dy), np.asarray(x), np.asarray(w), np.asarray(b)
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'SAME' or 'VALID', not {padding!r}")
    n, height, width, channels = x.shape
    kernel_height, kernel_width, kernel_channels, filters = w.shape
    if channels != kernel_channels:
        raise ValueError(f"x has {channels} channels but the kernel expects {kernel_channels}")
    out_height = conv2d_output_size(height, kernel_height, stride, padding)
    out_width = conv2d_output_size(width, kernel_width, stride, padding)
    if dy.shape != (n, out_height, out_width, filters):
        raise ValueError(f"dy should have shape {(n, out_height, out_width, filters)}, not {dy.shape}")
    top, bottom = _padding_amounts(height, kernel_height, stride, padding)
    left, right = _padding_amounts(width, kernel_width, stride, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    d_padded = np.zeros(padded.shape, dtype=np.result_type(dy.dtype, w.dtype))
    dw = np.zeros(w.shape, dtype=np.result_type(dy.dtype, x.dtype))
    for i in range(kernel_height):
        rows = slice(i, i + stride * out_height, stride)
        for j in range(kernel_width):
            columns = slice(j, j + stride * out_width, stride)
            # y[:, p, q, :] took padded[:, p*stride + i, q*stride + j, :] @ w[i, j]
            dw[i, j] = np.tensordot(padded[:, rows, columns, :], dy, axes=([0, 1, 2], [0, 1, 2]))
            d_padded[:, rows, columns, :] += np.tensordot(dy, w[i, j], axes=([3], [1]))
    dx = d_padded[:, top:top + height, left:left + width, :]
    db = dy.sum(axis=(0, 1, 2))
    return dx.astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False), db.astype(b.dtype, copy=False)
    # END SOLUTION
