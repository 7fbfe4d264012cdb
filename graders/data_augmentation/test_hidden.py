"""Hidden checks of the data_augmentation exercise: each transformation measured on its own, and augmentation that
must help a classifier on mirrored images."""

from __future__ import annotations

import numpy as np
import pytest
from augmentation_data import GLYPH_CLASSES, blob_images, blob_slants, color_images, glyph_images
from augmentation_measures import contrast_fit, flip_distances, ridge_accuracy, slant_changes, slants_and_spreads
from conftest import augmented_with

from harness.checks import expect_at_least, expect_at_most, expect_in_range, safe_max, safe_min

FLIP_IMAGES = 45  # not a multiple of the batch size (16): the last batch is partial
SAME = 1e-4  # an image is its source (or its mirror image) when no pixel differs by more
# Flipped with probability 1/2: 45 images fall outside with probability ~1e-4. Calibration (6 seeds, all correct
# solutions): 0.38 to 0.62; a flip that never happens gives 0, one that always does 1.
FLIPPED_FRACTION = (0.2, 0.8)

CONTRAST = 0.4  # Keras draws the factor in [1, 1.4] (factor=0.4) or [0.6, 1.4] (factor=(0.4, 0.4))
CONTRAST_IMAGES = 45
FIT_ERROR = 1e-4  # a contrast change fits its image to float32 rounding (all correct solutions: at most 1.04e-7)
# The factors of 45 images must spread over at least CONTRAST / 2 = 0.2 (all correct solutions: min 0.32, median 0.39;
# a contrast argument ignored, pinned to its default 0.2, spreads over about 0.2 and fails test_augmenter_layers).

ROTATION, ZOOM = 0.07, 0.12  # up to 25.2 degrees, and a zoom factor in [0.88, 1.12]
BLOB_IMAGES = 40
# Calibration (6 seeds, all correct solutions): the largest rotation is 21.2 to 24.9 degrees (threshold: half the
# 25.2-degree limit), the scales range over 0.187 to 0.242 (threshold: ZOOM = 0.12), the smallest scale is at least
# 0.918 (bound 0.893 * (1 - SPREAD_TOLERANCE)). The spread of a zoomed-in spot rotated after zooming (the
# functional_augmenter variant) was measured up to 4% above 1 / (1 - ZOOM): hence 7%, not the earlier 3%.
SLANT_TOLERANCE = 2.0  # degrees of measurement error
SPREAD_TOLERANCE = 0.07  # relative error of the measured spread ratio

TRAIN_GLYPHS = 240
TEST_GLYPHS = 300
HELPS_BATCH_SIZE = 32
# Calibration (CALIBRATION.md, 6 seeds, reference and every variant): a linear classifier trained by the grader on
# one augmented pass over 240 left-facing glyphs classifies 300 mirrored ones with an accuracy of 0.80 to 0.92
# (median 0.88); trained on the glyphs as they are it scores 0.25 to 0.37 (chance, 1/3), as do augmenters that
# never flip left to right.
MIN_HELPED_ACCURACY = 0.6


@pytest.mark.statistical
@pytest.mark.points(2)
def test_flip_is_horizontal(submission, rng, worker_seed, measure):
    """With every other factor 0, each image comes out as it is or mirrored left to right, about half of each."""
    images, labels = color_images(rng, FLIP_IMAGES)
    batches = augmented_with(
        submission, images, labels, worker_seed, batch_size=16, rotation=0.0, zoom=0.0, contrast=0.0
    )
    as_is, mirrored = flip_distances(batches.images, images)
    nearest = np.minimum(as_is, mirrored)
    expect_at_most(
        safe_max(nearest, what="the distances to the source or its mirror image"),
        SAME,
        metric=(
            "the largest difference, over 45 images, between an image the flip-only augmenter made "
            "and the nearer of its source and its left-right mirror image"
        ),
        hint='RandomFlip("horizontal") (the default mode also flips upside down), and factors of 0 '
        "that turn rotation, zoom and contrast off",
    )
    flipped = measure("flipped fraction", float(np.mean(mirrored < as_is)))
    expect_in_range(
        np.array([flipped]),
        *FLIPPED_FRACTION,
        what="the fraction of images the flip-only augmenter mirrored",
        hint='RandomFlip("horizontal") flips each image with probability 1/2',
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_contrast_follows_factor(submission, rng, worker_seed, measure):
    """With only contrast on, each image is its source with its contrast scaled by a factor within the contract."""
    images, labels = color_images(rng, CONTRAST_IMAGES)
    batches = augmented_with(
        submission, images, labels, worker_seed, batch_size=16, rotation=0.0, zoom=0.0, contrast=CONTRAST
    )
    factors, errors = contrast_fit(batches.images, images)
    worst = measure("worst fit error", safe_max(errors, what="the contrast fit errors"))
    expect_at_most(
        worst,
        FIT_ERROR,
        metric=(
            "the largest difference between an image the contrast-only augmenter made and its source "
            "(or mirror image) with a contrast change (x - mean) * f + mean, clipped to [0, 1]"
        ),
        hint="RandomContrast(contrast, value_range=(0, 1)), and factors of 0 turning the rest off",
    )
    expect_in_range(
        factors,
        1.0 - CONTRAST - 0.01,
        1.0 + CONTRAST + 0.01,
        what=f"the contrast factors of 45 images with contrast={CONTRAST}",
        hint="RandomContrast(contrast): the factor lies between 1 - contrast and 1 + contrast",
    )
    spread = measure("factor range", float(np.ptp(factors)))
    expect_at_least(
        spread,
        CONTRAST / 2,
        metric=f"the range of the contrast factors of 45 images with contrast={CONTRAST}",
        baseline=f"about {CONTRAST} when factors are drawn over [1, 1 + contrast]",
        hint="RandomContrast(contrast): pass the contrast argument on",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_rotation_and_zoom_follow_factors(submission, rng, worker_seed, measure):
    """Spots come out rotated by up to rotation turns and scaled by a zoom of up to zoom, both used in full."""
    slants = blob_slants(rng, BLOB_IMAGES)
    images = blob_images(slants)
    labels = np.zeros(BLOB_IMAGES, dtype=np.int64)
    batches = augmented_with(
        submission, images, labels, worker_seed, batch_size=16, rotation=ROTATION, zoom=ZOOM, contrast=0.0
    )
    after, spread_after = slants_and_spreads(batches.images)
    _, spread_before = slants_and_spreads(images)
    turns = slant_changes(after, slants)
    limit = ROTATION * 360
    largest = measure("largest rotation (degrees)", safe_max(turns, what="the measured rotations"))
    expect_in_range(
        turns,
        0.0,
        limit + SLANT_TOLERANCE,
        what=f"the rotations (degrees) of 40 spots with rotation={ROTATION}",
        hint=f"RandomRotation(rotation): a fraction of a full turn, up to {limit:g} degrees here",
    )
    expect_at_least(
        largest,
        limit / 2,
        metric=f"the largest rotation of 40 spots with rotation={ROTATION} (degrees)",
        baseline=f"close to {limit:g} when angles are drawn over [-{limit:g}, {limit:g}]",
        hint="RandomRotation(rotation): pass the rotation argument on",
    )
    scales = spread_after / spread_before
    low, high = 1 / (1 + ZOOM), 1 / (1 - ZOOM)
    expect_in_range(
        scales,
        low * (1 - SPREAD_TOLERANCE),
        high * (1 + SPREAD_TOLERANCE),
        what=f"the scale of 40 spots after a zoom with zoom={ZOOM}",
        hint="RandomZoom(zoom): height and width zoomed in or out by up to zoom",
    )
    measure("scale range", float(np.ptp(scales)))
    expect_at_least(
        float(np.ptp(scales)),
        ZOOM,
        metric=f"the range of the scales of 40 spots with zoom={ZOOM}",
        baseline=f"about {high - low:.2f} when zooms are drawn over [-{ZOOM}, {ZOOM}]",
        hint="RandomZoom(zoom): pass the zoom argument on",
    )
    measure("smallest scale", safe_min(scales, what="the scales"))
    measure("largest scale", safe_max(scales, what="the scales"))


@pytest.mark.statistical
@pytest.mark.points(3)
def test_augmentation_helps(submission, rng, worker_seed, measure):
    """Augmented training images let a linear classifier recognise mirrored strokes it never saw un-augmented."""
    train_images, train_labels = glyph_images(rng, TRAIN_GLYPHS)
    test_images, test_labels = glyph_images(rng, TEST_GLYPHS, mirrored=True)
    batches = augmented_with(submission, train_images, train_labels, worker_seed, batch_size=HELPS_BATCH_SIZE)
    baseline = measure(
        "accuracy without augmentation",
        ridge_accuracy(train_images, train_labels, test_images, test_labels, GLYPH_CLASSES),
    )
    accuracy = measure(
        "accuracy", ridge_accuracy(batches.images, batches.labels, test_images, test_labels, GLYPH_CLASSES)
    )
    expect_at_least(
        accuracy,
        MIN_HELPED_ACCURACY,
        metric=(
            f"the accuracy on {TEST_GLYPHS} mirrored glyphs of a linear classifier the grader trained "
            f"on one augmented pass over {TRAIN_GLYPHS} left-facing glyphs (build_augmenter((12, 12, "
            "1), seed) with its default factors)"
        ),
        baseline=f"{baseline:.2f} when trained on the glyphs as they are",
        hint='the flip must be left-right (RandomFlip("horizontal")), applied with training=True',
    )
