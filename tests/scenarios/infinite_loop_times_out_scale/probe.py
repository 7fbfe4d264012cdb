import numpy as np


def add(a, b):
    return a + b


def scale(x, factor):
    while True:
        pass


def is_positive(x):
    return bool(np.all(x > 0))


def count_nonzero(x):
    return int(np.count_nonzero(x))
