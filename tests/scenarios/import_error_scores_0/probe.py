import numpy as np
import a_module_that_does_not_exist


def add(a, b):
    return a + b
