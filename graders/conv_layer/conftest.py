"""Shared set-up of the conv_layer checks: make the grader's helper modules importable.

The checks compare the candidate's results with ``conv_reference.py``, a float64
NumPy reference proven equal to ``tf.nn.conv2d`` by ``tests/test_conv_reference.py``,
so the grader process never imports TensorFlow.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
