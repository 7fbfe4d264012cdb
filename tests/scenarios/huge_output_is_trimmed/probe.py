import sys

import numpy as np

LINE = "x" * 99 + "\n"


def add(a, b):
    for _ in range(500_000):  # 50 MB
        sys.stdout.write(LINE)
    return a + b


def scale(x, factor):
    return x * factor


def is_positive(x):
    return bool(np.all(x > 0))


def count_nonzero(x):
    return int(np.count_nonzero(x))
