"""The worker tier: the untrusted process that imports the candidate's module and answers requests.

It imports :mod:`harness.wire` only, and decides nothing: every verdict is the grader's.
"""
