"""Helpers several graders share (a grading run receives this folder as the package ``_shared``)."""
