"""Public checks of the data_augmentation exercise: the augmenter's layers, identity at inference, the dataset's
batches and order, images that change but keep their range and labels, seeds, and new transformations each pass."""

from __future__ import annotations

import numpy as np
import pytest
from augmentation_data import COLOR_SHAPE, GLYPH_SHAPE, glyph_images
from conftest import FACTORS, call_text, first_pass_with_seed

from harness.checks import (
    CheckFailed,
    expect_at_least,
    expect_close,
    expect_in_range,
    expect_runs_differ,
    expect_shape,
    verify_keras_model,
)

LAYERS = ("RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast")
DEFAULTS = {"rotation": 0.05, "zoom": 0.1, "contrast": 0.2}  # the contract's default factors
CHANGED = 1e-3  # an image differs from another when some pixel differs by more than this
# Calibration (6 seeds, every correct solution): the three fractions below were always 1.0.
MIN_CHANGED_FRACTION = 0.9  # of images an augmentation with these factors changes (no augmentation: 0)
MIN_PAIRED_FRACTION = 0.95  # of augmented images whose dominant channel is their label (calibration: always 1.0)
MIN_NEW_FRACTION = 0.5  # of images a second pass transforms differently (calibration: always 1.0; cached: 0)


def _factor_range(value) -> tuple[float, float] | None:
    """A preprocessing layer's factor setting as a (lower, upper) range: a number v means (-v, v)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return -abs(float(value)), abs(float(value))
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value)
    ):
        low, high = sorted(float(item) for item in value)
        return low, high
    return None


def _close(found: tuple[float, float] | None, wanted: tuple[float, float]) -> bool:
    return found is not None and all(abs(a - b) <= 1e-6 for a, b in zip(found, wanted))


def _layer_problems(config: dict, name: str, factors: dict) -> list[str]:
    """What is wrong with one preprocessing layer's configuration, for an augmenter built with ``factors``."""
    rotation, zoom, contrast = factors["rotation"], factors["zoom"], factors["contrast"]
    if name == "RandomFlip" and config.get("mode") != "horizontal":
        return [f'RandomFlip should flip left-right only (mode="horizontal"), but its mode is {config.get("mode")!r}']
    if name == "RandomRotation" and not _close(_factor_range(config.get("factor")), (-rotation, rotation)):
        return [f"RandomRotation should have factor={rotation} (a fraction of a full turn), not {config.get('factor')}"]
    if name == "RandomZoom" and (
        not _close(_factor_range(config.get("height_factor")), (-zoom, zoom)) or config.get("width_factor") is not None
    ):
        return [
            f"RandomZoom should zoom height and width by the same amount, up to {zoom} either way "
            f"(RandomZoom({zoom})), not height_factor={config.get('height_factor')}, "
            f"width_factor={config.get('width_factor')}"
        ]
    if name == "RandomContrast":
        problems = []
        factor = _factor_range(config.get("factor"))  # Keras keeps (lower, upper): the factor is in [1-lower, 1+upper]
        if factor is None or abs(factor[1] - contrast) > 1e-6 or not -1e-6 <= factor[0] <= contrast + 1e-6:
            problems.append(f"RandomContrast should have factor={contrast}, not {config.get('factor')}")
        if not _close(_factor_range(config.get("value_range")), (0.0, 1.0)):
            problems.append(
                f"RandomContrast should have value_range=(0, 1) for images in [0, 1], not "
                f"{config.get('value_range')} (it clips its results to that range)"
            )
        return problems
    return []


def augmenter_problems(verified, shape: tuple[int, ...], factors: dict) -> list[str]:
    """What is wrong with a verified augmenter built for images of ``shape`` with ``factors``."""
    layers = [layer for layer in verified.layers() if layer.class_name != "InputLayer"]
    names = [layer.class_name for layer in layers]
    problems = [
        f"it should have exactly one {name} layer, but has {names.count(name)}"
        for name in LAYERS
        if names.count(name) != 1
    ]
    problems += [
        f"it has a {name} layer, which is not one of {', '.join(LAYERS)}" for name in names if name not in LAYERS
    ]
    for layer in layers:
        problems += _layer_problems(layer.config, layer.class_name, factors)
    input_shape = tuple(verified.model.inputs[0].shape)
    if input_shape != (None, *shape):
        problems.append(
            f"it should take images of shape {(None, *shape)} (keras.Input(shape=image_shape)), not {input_shape}"
        )
    return problems


@pytest.mark.points(2)
def test_augmenter_layers(submission, verified_augmenter, worker_seed, rng):
    """build_augmenter, verified on secret images, has one flip, rotation, zoom and contrast layer with its factors."""
    glyphs, _ = glyph_images(rng, 8)
    default = verify_keras_model(
        submission,
        submission.build_augmenter(GLYPH_SHAPE, worker_seed),
        probe_inputs=glyphs,
        what=f"build_augmenter({GLYPH_SHAPE}, seed)",
    )
    for verified, shape, factors in ((verified_augmenter, COLOR_SHAPE, FACTORS), (default, GLYPH_SHAPE, DEFAULTS)):
        problems = augmenter_problems(verified, shape, factors)
        if problems:
            settings = ", ".join(f"{name}={value}" for name, value in factors.items())
            raise CheckFailed(
                f"build_augmenter({shape}, seed, {settings}): {'; '.join(problems)}. Its layers are: "
                f"{', '.join(verified.layer_classes())}. Look at build_augmenter."
            )


@pytest.mark.points(2)
def test_identity_at_inference(augmenter, verified_augmenter, color_set, inference_pass):
    """At inference the augmenter returns its input unchanged, and augment_dataset(training=False) yields the data."""
    expect_close(
        augmenter.predict_on_batch(color_set.images),
        color_set.images,
        atol=1e-6,
        rtol=0.0,
        what=f"augmenter.predict_on_batch(images) for {len(color_set.images)} images (inference)",
        hint="random preprocessing layers only: no Rescaling or Normalization, nothing applied at inference",
    )
    what = f"the images of a pass over {call_text(color_set, training=False)}"
    expect_close(
        inference_pass.images,
        color_set.images,
        atol=1e-6,
        rtol=0.0,
        what=what,
        hint="with training=False the dataset should not augment, nor reorder, nor change the images",
    )
    expect_close(
        inference_pass.labels,
        color_set.labels,
        atol=0.0,
        rtol=0.0,
        what=f"the labels of a pass over {call_text(color_set, training=False)}",
        hint="keep the examples in their order (no shuffling) and the labels as they are",
    )


@pytest.mark.points(2)
def test_batches(color_set, augmented_passes, inference_pass):
    """The dataset yields batches of batch_size in order, the last one holding the rest (training and inference)."""
    count, size = len(color_set.images), color_set.batch_size
    expected = np.array([size] * (count // size) + [count % size])
    for training, batches in ((True, augmented_passes[0]), (False, inference_pass)):
        expect_close(
            np.array(batches.sizes),
            expected,
            atol=0.0,
            rtol=0.0,
            what=f"the batch sizes of a pass over {call_text(color_set, training=training)}",
            hint="dataset.batch(batch_size), keeping the last, smaller batch (no drop_remainder)",
        )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_images_change_within_range(color_set, augmented_passes, measure):
    """With training=True the images change, and keep their shape, dtype (float32) and value range [0, 1]."""
    batches = augmented_passes[0]
    what = f"the images of the first pass over {call_text(color_set, training=True)}"
    expect_shape(
        batches.images, color_set.images.shape, what=what, hint="the dataset should yield every example once, in order"
    )
    expect_in_range(
        batches.images,
        0.0,
        1.0,
        what=what,
        hint="RandomContrast's value_range: it is (0, 255) by default; these images are in [0, 1]",
    )
    changes = np.abs(batches.images.astype(np.float64) - color_set.images).max(axis=(1, 2, 3))
    changed = measure("changed fraction", float(np.mean(changes > CHANGED)))
    expect_at_least(
        changed,
        MIN_CHANGED_FRACTION,
        metric=f"the fraction of {what} that differ from their source",
        baseline="a flip, a rotation of up to 25 degrees, a zoom and a contrast change alter nearly all",
        hint="the augmenter must be called with training=True inside the dataset's map",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_labels_stay_with_images(color_set, augmented_passes, measure):
    """With training=True the labels come out unchanged, in order, each still with its own (augmented) image."""
    batches = augmented_passes[0]
    what = f"the first pass over {call_text(color_set, training=True)}"
    expect_close(
        batches.labels,
        color_set.labels,
        atol=0.0,
        rtol=0.0,
        what=f"the labels of {what}",
        hint="keep the examples in their order (no shuffling) and pass the labels through untouched",
    )
    dominant = np.argmax(batches.images.astype(np.float64).mean(axis=(1, 2)), axis=1)
    paired = measure("paired fraction", float(np.mean(dominant == batches.labels)))
    expect_at_least(
        paired,
        MIN_PAIRED_FRACTION,
        metric=f"the fraction of images in {what} that still go with their label (each label is a "
        "property of its image that the augmentations keep)",
        baseline="about 1/3 when images and labels are shuffled apart",
        hint="augment the images of each (images, labels) pair together; never shuffle them separately",
    )


@pytest.mark.points(1)
def test_same_seed_same_output(submission, color_set, augmented_passes, worker_seed):
    """Two augmenters built with the same seed augment alike; another seed augments differently."""
    first = augmented_passes[0]
    again = first_pass_with_seed(submission, color_set, worker_seed)
    expect_close(
        again.images,
        first.images,
        atol=1e-6,
        rtol=0.0,
        what="the images of the first pass with a second augmenter built with the same seed",
        hint="seed every random layer from build_augmenter's seed",
    )
    other = first_pass_with_seed(submission, color_set, worker_seed + 1)
    expect_runs_differ(
        other.images,
        first.images,
        what="augmenters built with seeds s and s + 1 gave exactly the same images",
        hint="seed every random layer from build_augmenter's seed, not a fixed number",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_new_transformations_each_pass(color_set, augmented_passes, measure):
    """A second pass over the same dataset draws new random transformations (nothing cached after augmenting)."""
    first, second = augmented_passes
    changes = (
        np.abs(second.images.astype(np.float64) - first.images).max(axis=(1, 2, 3))
        if second.images.shape == first.images.shape
        else np.zeros(0)
    )
    new = measure("new fraction", float(np.mean(changes > CHANGED)) if changes.size else 0.0)
    expect_at_least(
        new,
        MIN_NEW_FRACTION,
        metric=f"the fraction of images the second pass over {call_text(color_set, training=True)} "
        "transforms differently from the first",
        baseline="an augmentation drawn afresh changes nearly all",
        hint="augment inside the dataset's map on every pass; a .cache() after the map freezes the "
        "first pass's transformations",
    )
