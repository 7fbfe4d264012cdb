"""Shared fixtures of the resnet checks: the candidate's block models and ResNets, verified, and secret inputs.

``residual_block`` takes a Keras tensor, which cannot travel between processes:
the grader calls ``build_block_model``, which wraps one block in a model, and
``build_resnet``.  Every model is verified (``verify_keras_model``: the grader
rebuilds it from its configuration and weights and proves the rebuild computes
what the candidate's model computes on secret inputs); the checks then edit the
grader's trusted copy (zeroing kernels, removing shortcuts) or train it, never
the candidate's.
"""

from __future__ import annotations

import numpy as np
import pytest
from resnet_data import feature_maps

from harness.checks import verify_keras_model

IDENTITY_BLOCK = ((9, 10, 8), 8, 1)  # (input_shape, filters, stride): the shortcut is the input itself
PROJECTION_BLOCK = ((9, 10, 6), 12, 2)  # odd height: the output is ceil(9 / 2) = 5 high
PROBE_MAPS = 8


def block_call(settings: tuple) -> str:
    """How a check names a build_block_model call, for messages."""
    input_shape, filters, stride = settings
    return f"build_block_model({input_shape}, filters={filters}, stride={stride})"


def build_block(submission, settings: tuple):
    """Call build_block_model with ``settings`` (input_shape, filters, stride); return the handle."""
    input_shape, filters, stride = settings
    return submission.build_block_model(input_shape, filters, stride=stride)


def verified_block(submission, handle, settings: tuple, rng: np.random.Generator):
    """Verify a block model on secret feature maps of its input shape."""
    return verify_keras_model(
        submission, handle, probe_inputs=feature_maps(rng, PROBE_MAPS, settings[0]), what=block_call(settings)
    )


@pytest.fixture(scope="session")
def identity_block(submission):
    """``build_block_model((9, 10, 8), 8, stride=1)``: a handle."""
    return build_block(submission, IDENTITY_BLOCK)


@pytest.fixture(scope="session")
def verified_identity_block(submission, identity_block, secret):
    """The grader's trusted copy of the identity block, verified on secret feature maps."""
    return verified_block(submission, identity_block, IDENTITY_BLOCK, secret.rng("identity block probes"))


@pytest.fixture(scope="session")
def projection_block(submission):
    """``build_block_model((9, 10, 6), 12, stride=2)``: a handle."""
    return build_block(submission, PROJECTION_BLOCK)


@pytest.fixture(scope="session")
def verified_projection_block(submission, projection_block, secret):
    """The grader's trusted copy of the projection block, verified on secret feature maps."""
    return verified_block(submission, projection_block, PROJECTION_BLOCK, secret.rng("projection block probes"))
