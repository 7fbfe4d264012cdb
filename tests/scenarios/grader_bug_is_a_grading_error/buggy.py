"""A correct submission of the buggy exercise: whatever its grader's bugs, they must not score or fail it."""


def double(x):
    return 2 * x
