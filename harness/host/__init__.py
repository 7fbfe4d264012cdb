"""The host tier: the ``grade`` command, staging, backends, batch grading, reports and the image.

It starts grader processes through a backend and validates what they return.
"""
