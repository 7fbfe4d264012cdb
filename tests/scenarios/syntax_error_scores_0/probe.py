import numpy as np


def add(a, b)
    return a + b
