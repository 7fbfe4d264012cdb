"""Inspectors the grader runs in the worker: gradients_of_sum differentiates the submission's own function."""

import sys
import types

import numpy as np
import pytest

from harness import inspection


@pytest.fixture
def submission_module(monkeypatch):
    """A stand-in for the candidate's module, installed where the worker puts it (sys.modules["submission"])."""
    module = types.ModuleType("submission")
    monkeypatch.setitem(sys.modules, "submission", module)
    return module


def test_gradients_of_sum_follows_tensorflow_operations(submission_module):
    tensorflow = pytest.importorskip("tensorflow")
    submission_module.sample = lambda mean, log_variance, noise: mean + tensorflow.exp(0.5 * log_variance) * noise
    mean, log_variance, noise = np.array([[1.0, -2.0]]), np.array([[0.5, -1.0]]), np.array([[0.3, 2.0]])
    gradients = inspection.run("gradients_of_sum", "sample", mean, log_variance, noise)
    assert np.allclose(gradients[0], 1.0)
    assert np.allclose(gradients[1], 0.5 * np.exp(0.5 * log_variance) * noise)
    assert np.allclose(gradients[2], np.exp(0.5 * log_variance))


def test_gradients_of_sum_is_none_where_the_function_leaves_tensorflow(submission_module):
    pytest.importorskip("tensorflow")
    submission_module.sample = lambda mean, log_variance, noise: mean + np.exp(0.5 * np.asarray(log_variance)) * noise
    gradients = inspection.run("gradients_of_sum", "sample", np.zeros((2, 3)), np.zeros((2, 3)), np.ones((2, 3)))
    assert gradients[0] is not None and gradients[1] is None


def test_gradients_of_sum_names_a_missing_function(submission_module):
    pytest.importorskip("tensorflow")
    with pytest.raises(AttributeError, match="no function named 'absent'"):
        inspection.run("gradients_of_sum", "absent", np.zeros(2))
