"""Public checks of the resnet exercise: block shapes, the skip connection and projection shortcut proven on the
grader's trusted copies, batch normalization's two modes, and the ResNet classifier's outputs and structure."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import IDENTITY_BLOCK, PROJECTION_BLOCK, block_call
from resnet_data import feature_maps
from resnet_edits import class_count, conv_layers, eager_outputs, is_pointwise, neutralised, projection_output

from harness.checks import (
    CheckFailed,
    expect_close,
    expect_probabilities,
    expect_runs_differ,
    expect_scalar_close,
    model_outputs,
    verify_keras_model,
)

RESNET = ((12, 12, 3), 5, [(8, 1), (16, 2), (16, 1)])  # (input_shape, num_classes, blocks): one projection
BATCH = 6


def resnet_call(settings: tuple) -> str:
    input_shape, num_classes, blocks = settings
    return f"build_resnet({input_shape}, {num_classes}, {blocks})"


def expected_convolutions(settings: tuple) -> int:
    """The stem, two per block, and one projection per block whose stride or channel count changes."""
    _, _, blocks = settings
    channels, count = blocks[0][0], 1
    for filters, stride in blocks:
        count += 2 + (stride != 1 or filters != channels)
        channels = filters
    return count


@pytest.mark.points(1)
def test_identity_block_keeps_shape(identity_block, rng):
    """A block with stride 1 and as many filters as input channels keeps the shape of its input."""
    input_shape = IDENTITY_BLOCK[0]
    model_outputs(
        identity_block,
        feature_maps(rng, BATCH, input_shape),
        shape=(BATCH, *input_shape),
        what=f"{block_call(IDENTITY_BLOCK)}.predict_on_batch(x) for {BATCH} maps",
        hint='padding="same" in both convolutions, strides only in the first',
    )


@pytest.mark.points(2)
def test_stride_two_halves(projection_block, rng):
    """A block with stride 2 halves height and width (rounding up) and has `filters` channels."""
    input_shape, filters, _ = PROJECTION_BLOCK
    model_outputs(
        projection_block,
        feature_maps(rng, BATCH, input_shape),
        shape=(BATCH, 5, 5, filters),
        what=f"{block_call(PROJECTION_BLOCK)}.predict_on_batch(x) for {BATCH} maps of {input_shape}",
        hint="strides=stride in the first 3x3 convolution only, and in the 1x1 projection of the shortcut",
    )


@pytest.mark.points(2)
def test_skip_connection(verified_identity_block, rng):
    """With every convolution kernel zeroed (grader's copy), the identity block returns relu(x): the skip exists."""
    model = neutralised(verified_identity_block.model, zero=lambda layer: True)
    x = feature_maps(rng, BATCH, IDENTITY_BLOCK[0])
    expect_close(
        eager_outputs(model, x),
        np.maximum(x, 0.0),
        atol=1e-5,
        rtol=1e-5,
        what=f"the output of {block_call(IDENTITY_BLOCK)} with every Conv2D kernel and bias set to 0 (and "
        "batch normalization set to the identity)",
        hint="the shortcut must be the block's input itself (no projection when shapes match), added to the "
        "main path with keras.layers.Add, and the ReLU must come after the addition",
    )


@pytest.mark.points(2)
def test_projection_shortcut(verified_projection_block, rng):
    """With stride 2, the shortcut is a strided 1x1 convolution: with the 3x3 kernels zeroed it alone remains."""
    model = verified_projection_block.model
    projections = [layer for layer in conv_layers(model) if is_pointwise(layer)]
    expect_scalar_close(
        len(projections),
        1,
        what=f"the number of 1x1 Conv2D layers of {block_call(PROJECTION_BLOCK)}",
        hint="project the shortcut with Conv2D(filters, 1, strides=stride) when the shapes differ",
    )
    model = neutralised(model, zero=lambda layer: not is_pointwise(layer))
    x = feature_maps(rng, BATCH, PROJECTION_BLOCK[0])
    expect_close(
        eager_outputs(model, x),
        projection_output(projections[0], x),
        atol=1e-5,
        rtol=1e-5,
        what=f"the output of {block_call(PROJECTION_BLOCK)} with its 3x3 kernels set to 0 (and batch "
        "normalization set to the identity)",
        hint="the shortcut Conv2D(filters, 1, strides=stride) of the block's input, added to the main path, "
        "then a ReLU",
    )


@pytest.mark.points(2)
def test_batch_normalization_modes(identity_block, verified_identity_block, rng):
    """At inference an image's output does not depend on its batch; in training (batch statistics) it does."""
    what = block_call(IDENTITY_BLOCK)
    x = feature_maps(rng, 2 * BATCH, IDENTITY_BLOCK[0])
    shape = (None, *IDENTITY_BLOCK[0])
    alone = model_outputs(identity_block, x[:BATCH], shape=shape, what=f"{what}.predict_on_batch(x[:{BATCH}])")
    together = model_outputs(identity_block, x, shape=shape, what=f"{what}.predict_on_batch(x)")
    expect_close(
        together[:BATCH],
        alone,
        atol=1e-5,
        rtol=1e-5,
        what=f"the outputs of {what} for {BATCH} maps, predicted in a batch of their own and in a batch of {2 * BATCH}",
        hint="BatchNormalization uses its moving averages at inference: do not call it with training=True",
    )
    model = verified_identity_block.model
    expect_runs_differ(
        eager_outputs(model, x[:BATCH], training=True),
        eager_outputs(model, x, training=True)[:BATCH],
        what=f"in training mode, the outputs of {what} for {BATCH} maps were the same in a batch of "
        f"their own and in a batch of {2 * BATCH}: no layer normalizes with batch statistics",
        hint="BatchNormalization after each 3x3 convolution, left trainable",
    )


@pytest.fixture(scope="module")
def resnet(submission):
    return submission.build_resnet(*RESNET)


@pytest.mark.points(2)
def test_resnet_outputs(resnet, rng):
    """build_resnet maps a batch of images to class probabilities (rows in [0, 1] summing to 1)."""
    input_shape, num_classes, _ = RESNET
    outputs = model_outputs(
        resnet,
        rng.standard_normal((BATCH, *input_shape)).astype(np.float32),
        shape=(BATCH, num_classes),
        what=f"{resnet_call(RESNET)}.predict_on_batch(x)",
        hint='Dense(num_classes, activation="softmax") after GlobalAveragePooling2D',
    )
    expect_probabilities(
        outputs,
        what=f"{resnet_call(RESNET)}.predict_on_batch(x)",
        hint="the activation of the last Dense layer (softmax)",
    )


def structure_problems(verified, settings: tuple) -> list[str]:
    """What is wrong with a verified ResNet's layers, for ``build_resnet(*settings)``."""
    model, blocks = verified.model, settings[2]
    problems = []
    if class_count(model, "Add") != len(blocks):
        problems.append(f"{len(blocks)} Add layers (one per block), but it has {class_count(model, 'Add')}")
    wanted = expected_convolutions(settings)
    if len(conv_layers(model)) != wanted:
        problems.append(
            f"{wanted} Conv2D layers (the stem, two per block, a 1x1 projection in each block that changes "
            f"the shape), but it has {len(conv_layers(model))}"
        )
    if class_count(model, "GlobalAveragePooling2D") != 1:
        problems.append("one GlobalAveragePooling2D layer before the head")
    if verified.output_activation() != "softmax":
        problems.append(f"a softmax output, but its last activation is {verified.output_activation()!r}")
    return problems


def expect_resnet_structure(verified, settings: tuple) -> None:
    """Fail unless a verified ResNet has the layers ``build_resnet(*settings)`` should have."""
    problems = structure_problems(verified, settings)
    if problems:
        raise CheckFailed(
            f"{resnet_call(settings)} should have {'; '.join(problems)}. Its layers are: "
            f"{', '.join(verified.layer_classes())}. Look at build_resnet and residual_block."
        )


@pytest.mark.points(2)
def test_resnet_structure(submission, resnet, rng):
    """The ResNet, verified on secret images, has a stem, one residual block per entry of blocks and a softmax head."""
    expect_resnet_structure(verify_keras_model(submission, resnet, rng=rng, what=resnet_call(RESNET)), RESNET)
