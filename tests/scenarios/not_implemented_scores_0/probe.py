def add(a, b):
    raise NotImplementedError("add the arrays")


def scale(x, factor):
    raise NotImplementedError


def is_positive(x):
    raise NotImplementedError


def count_nonzero(x):
    raise NotImplementedError
