"""The grader's reference for ``tf.nn.conv2d`` (NHWC), as shipped in the candidate kit.

The instructors' grader uses an independent float64 NumPy implementation, which
would hand candidates a working answer; the kit uses TensorFlow itself instead
(slower to import, same results: ``tests/test_conv_kit_reference.py`` proves
the two equal).  Same functions, same signatures.
"""

from __future__ import annotations

import numpy as np


def _tensorflow():
    import tensorflow

    return tensorflow


def _probe(size: int, kernel_size: int, stride: int, padding: str, tap: int) -> np.ndarray:
    """Convolve the positions 1..size with a kernel that is 1 at ``tap`` and 0 elsewhere."""
    tf = _tensorflow()
    x = tf.reshape(tf.range(1, size + 1, dtype=tf.float64), (1, size, 1, 1))
    w = tf.reshape(tf.one_hot(tap, kernel_size, dtype=tf.float64), (kernel_size, 1, 1, 1))
    return tf.nn.conv2d(x, w, stride, padding).numpy()[0, :, 0, 0]


def output_size(input_size: int, kernel_size: int, stride: int, padding: str) -> int:
    """Return TensorFlow's output length along one axis."""
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"unknown padding {padding!r}")
    return int(_probe(input_size, kernel_size, stride, padding, 0).shape[0])


def padding_amounts(input_size: int, kernel_size: int, stride: int, padding: str) -> tuple[int, int]:
    """Return the zeros TensorFlow adds (before, after) along one axis, read off TensorFlow itself."""
    for tap in range(kernel_size):
        first = _probe(input_size, kernel_size, stride, padding, tap)
        if first[0] != 0:
            before = tap + 1 - round(first[0])  # tap ``before`` of the first window sits on position 1
            break
    else:
        raise ValueError("no window touches the input")
    outputs = first.shape[0]
    last_position = (outputs - 1) * stride - before + kernel_size  # 1-based position under the last tap
    return before, max(last_position - input_size, 0)  # grader values only


def conv2d(x, w, b, stride: int, padding: str) -> np.ndarray:
    """Return ``tf.nn.conv2d(x, w, stride, padding) + b`` in float64."""
    tf = _tensorflow()
    x, w, b = (tf.constant(np.asarray(value, dtype=np.float64)) for value in (x, w, b))
    return (tf.nn.conv2d(x, w, stride, padding) + b).numpy()


def conv2d_gradients(dy, x, w, b, stride: int, padding: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dx, dw, db) in float64 for the upstream gradient ``dy`` of ``conv2d``."""
    tf = _tensorflow()
    x, w, b, dy = (tf.Variable(np.asarray(value, dtype=np.float64)) for value in (x, w, b, dy))
    with tf.GradientTape() as tape:
        y = tf.nn.conv2d(x, w, stride, padding) + b
    dx, dw, db = tape.gradient(y, [x, w, b], output_gradients=dy)
    return dx.numpy(), dw.numpy(), db.numpy()
