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
    # TODO: return the output size for "SAME" and "VALID"; raise ValueError for any other padding
    raise NotImplementedError('Return the output size for "SAME" and "VALID"; raise ValueError for any other padding')


def _padding_amounts(input_size, kernel_size, stride, padding):
    """Return ``(before, after)``: the zeros added on the top/left and on the bottom/right of one axis.

    A helper for ``conv2d_forward`` and ``conv2d_backward``; it is not graded on its own.
    """
    # TODO: return (before, after) for one axis; VALID pads nothing (a helper for the two functions below)
    raise NotImplementedError('Return (before, after) for one axis; VALID pads nothing (a helper for the two functions below)')


def conv2d_forward(x, w, b, stride, padding):
    """Return the convolution of ``x`` (N, H, W, C_in) with ``w`` (KH, KW, C_in, C_out) plus ``b`` (C_out,).

    ``stride`` is an int used along both spatial axes; ``padding`` is ``"SAME"`` or ``"VALID"``.
    The result has shape (N, H_out, W_out, C_out) and the dtype of ``x`` and ``w`` (float32 in,
    float32 out; float64 in, float64 out).  Raises ``ValueError`` for an unknown padding or when
    the channels of ``x`` and ``w`` differ.
    """
    # TODO: pad the input, then add up one shifted, strided slice per kernel position
    raise NotImplementedError('Pad the input, then add up one shifted, strided slice per kernel position')


def conv2d_backward(dy, x, w, b, stride, padding):
    """Return ``(dx, dw, db)``, the gradients of a loss with respect to ``x``, ``w`` and ``b``.

    ``dy`` is the gradient of the loss with respect to the output of ``conv2d_forward(x, w, b,
    stride, padding)``, shape (N, H_out, W_out, C_out).  ``dx``, ``dw`` and ``db`` have the shapes
    (and dtypes) of ``x``, ``w`` and ``b``.
    """
    # TODO: the transpose of the forward pass: scatter dy back through every kernel position
    raise NotImplementedError('The transpose of the forward pass: scatter dy back through every kernel position')
