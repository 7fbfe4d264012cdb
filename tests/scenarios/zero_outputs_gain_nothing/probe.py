"""Zeros everywhere: a relative error of two zero norms once counted as a match; it must earn nothing."""

import numpy as np


def add(a, b):
    return np.zeros_like(a)


def scale(x, factor):
    return np.zeros_like(x)


def is_positive(x):
    return False


def count_nonzero(x):
    return 0
