"""Grade machine-learning exercises with the candidate's code kept out of the grading process."""

__version__ = "0.1.0"
