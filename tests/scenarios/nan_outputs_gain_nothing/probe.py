"""NaN everywhere: every comparison with NaN is False, so a check written as "not (error > tolerance)"
or over min(...) would pass. Fail-closed helpers must give nothing."""

import numpy as np


def add(a, b):
    return np.full_like(a, np.nan)


def scale(x, factor):
    return np.full_like(x, np.nan)


def is_positive(x):
    return bool(np.all(np.full_like(x, np.nan) > 0))


def count_nonzero(x):
    return float("nan")
