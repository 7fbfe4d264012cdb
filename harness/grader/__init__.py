"""The grader tier: the trusted process that runs an exercise's checks against a worker and scores them.

It imports :mod:`harness.wire` and :mod:`harness.project`, never the host tier or the candidate's code.
"""
