"""Tests of batch grading: gradebook, resumption, exports and the report."""
