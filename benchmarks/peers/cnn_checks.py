"""The cnn checks ported to plain asserts, for nbgrader, otter-grader and the direct floor (benchmarks/peers.py).

Ported from graders/cnn (same data sizes, epochs and batch sizes): output shape for 4 and 10 classes,
softmax rows sum to 1, a convolution, a pooling and a Dense layer, the history has one finite loss per epoch,
the loss on the 640 training images falls by 30% over train(epochs=10, batch_size=64), accuracy of at least 0.8
on 400 fresh images, other input shapes, and batch_size and epochs honoured (three fresh trainings on
120 images). Not ported: the verification of the worker's claims by a rebuild in the grader (the peers run the
candidate in their own process, so there is nothing to verify) and the compiled-loss check.

Every name not starting with ``check_`` is a helper: peers.py copies the helpers into one locked cell (nbgrader)
or the top of the test file (otter), and each ``check_`` function into its own test cell or test case.
``candidate`` is any object with the candidate's ``build_model`` and ``train`` as attributes.
"""

import numpy as np

IMAGE_SIZE = 16
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)
NUM_CLASSES = 4
TRAIN_IMAGES = 640
EPOCHS = 10
BATCH_SIZE = 64
HELD_OUT_IMAGES = 400
STEP_IMAGES = 120
STEP_BATCHES = 4
MIN_RELATIVE_LOSS_DROP = 0.3
MIN_HELD_OUT_ACCURACY = 0.8
MIN_STEP_RATIO = 2.0
CANDIDATE_NAMES = ("build_model", "train")
CHECK_POINTS = {
    "check_output_shape": 2,
    "check_probabilities": 2,
    "check_conv_and_pooling": 2,
    "check_history_per_epoch": 1,
    "check_loss_decreases": 2,
    "check_heldout_accuracy": 4,
    "check_other_input_shapes": 1,
    "check_train_honours_batch_size": 1,
    "check_train_honours_epochs": 1,
}
TRAINED_CACHE = {}


def draw_bar(image, label, rng):
    """Draw one bar of class ``label`` (value 1, 2 pixels thick, 6 to 10 long) at a random place in ``image``."""
    size = image.shape[0]
    length = int(rng.integers(6, 11))
    if label == 0:
        row, column = int(rng.integers(0, size - 1)), int(rng.integers(0, size - length + 1))
        image[row : row + 2, column : column + length] = 1.0
    elif label == 1:
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - 1))
        image[row : row + length, column : column + 2] = 1.0
    elif label == 2:
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(0, size - length))
        for step in range(length):
            image[row + step, column + step : column + step + 2] = 1.0
    else:
        row, column = int(rng.integers(0, size - length + 1)), int(rng.integers(length, size))
        for step in range(length):
            image[row + step, column - step - 1 : column - step + 1] = 1.0


def make_images(rng, count):
    """Return ``count`` noisy bar images (count, 16, 16, 1) float32 and their labels (count,) int64."""
    labels = rng.integers(0, NUM_CLASSES, size=count)
    images = np.zeros((count, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float64)
    for image, label in zip(images, labels):
        draw_bar(image, int(label), rng)
        image *= rng.uniform(0.7, 1.3)
    images += rng.normal(0.0, 0.3, size=images.shape)
    return images[..., np.newaxis].astype(np.float32), labels.astype(np.int64)


def cross_entropy(probabilities, labels):
    """The mean cross-entropy of ``probabilities`` for integer ``labels``."""
    chosen = np.asarray(probabilities, dtype=np.float64)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(chosen, 1e-7, 1.0))))


def trained(candidate):
    """Build and train the candidate's model once (640 images, 10 epochs, batch 64); cached per candidate.

    The key is the candidate's build_model function: otter hands each test case a fresh namespace around it.
    """
    key = id(candidate.build_model)
    if key not in TRAINED_CACHE:
        x, y = make_images(np.random.default_rng(1), TRAIN_IMAGES)
        model = candidate.build_model(INPUT_SHAPE, NUM_CLASSES)
        before = model.predict_on_batch(x)
        history = candidate.train(model, x, y, epochs=EPOCHS, batch_size=BATCH_SIZE)
        TRAINED_CACHE[key] = (candidate, model, before, history, x, y)
    return TRAINED_CACHE[key][1:]


def largest_weight_change(candidate, epochs, batch_size):
    """Train a fresh model on 120 images and return the largest change of any trainable weight (cached, as ours)."""
    key = (id(candidate.build_model), epochs, batch_size)
    if key not in TRAINED_CACHE:
        TRAINED_CACHE[key] = (candidate, fresh_weight_change(candidate, epochs, batch_size))
    return TRAINED_CACHE[key][1]


def fresh_weight_change(candidate, epochs, batch_size):
    """Train a fresh model on 120 images and return the largest change of any trainable weight."""
    x, y = make_images(np.random.default_rng(2), STEP_IMAGES)
    model = candidate.build_model(INPUT_SHAPE, NUM_CLASSES)
    before = [np.array(weight.numpy(), dtype=np.float64) for weight in model.trainable_weights]
    candidate.train(model, x, y, epochs=epochs, batch_size=batch_size)
    after = [np.array(weight.numpy(), dtype=np.float64) for weight in model.trainable_weights]
    return max(float(np.max(np.abs(new - old))) for new, old in zip(after, before))


def check_output_shape(candidate):
    x, _ = make_images(np.random.default_rng(3), 5)
    for num_classes in (NUM_CLASSES, 10):
        outputs = candidate.build_model(INPUT_SHAPE, num_classes).predict_on_batch(x)
        assert np.shape(outputs) == (5, num_classes), f"output shape {np.shape(outputs)}"


def check_probabilities(candidate):
    x, _ = make_images(np.random.default_rng(4), 16)
    outputs = np.asarray(candidate.build_model(INPUT_SHAPE, NUM_CLASSES).predict_on_batch(x), dtype=np.float64)
    assert outputs.shape == (16, NUM_CLASSES)
    assert np.all(outputs >= 0) and np.all(outputs <= 1), "outputs outside [0, 1]"
    assert np.allclose(outputs.sum(axis=1), 1.0, atol=1e-4), "rows do not sum to 1"


def check_conv_and_pooling(candidate):
    model = candidate.build_model(INPUT_SHAPE, NUM_CLASSES)
    classes = [type(layer).__name__ for layer in model.layers]
    assert any(name in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D") for name in classes), classes
    assert any("Pooling" in name for name in classes), classes
    assert "Dense" in classes, classes


def check_history_per_epoch(candidate):
    _, _, history, _, _ = trained(candidate)
    assert isinstance(history, dict), type(history)
    losses = history.get("loss")
    assert len(losses) == EPOCHS and all(np.isfinite(value) for value in losses), losses


def check_loss_decreases(candidate):
    model, before, _, x, y = trained(candidate)
    loss_before = cross_entropy(before, y)
    loss_after = cross_entropy(model.predict_on_batch(x), y)
    assert loss_after <= (1 - MIN_RELATIVE_LOSS_DROP) * loss_before, (loss_before, loss_after)


def check_heldout_accuracy(candidate):
    model, _, _, _, _ = trained(candidate)
    x, labels = make_images(np.random.default_rng(5), HELD_OUT_IMAGES)
    accuracy = float(np.mean(np.argmax(model.predict_on_batch(x), axis=1) == labels))
    assert accuracy >= MIN_HELD_OUT_ACCURACY, accuracy


def check_other_input_shapes(candidate):
    rng = np.random.default_rng(6)
    for input_shape, num_classes in (((28, 28, 1), 10), ((24, 32, 3), 5)):
        x = rng.normal(size=(3, *input_shape)).astype(np.float32)
        outputs = candidate.build_model(input_shape, num_classes).predict_on_batch(x)
        assert np.shape(outputs) == (3, num_classes), np.shape(outputs)


def check_train_honours_batch_size(candidate):
    one_step = largest_weight_change(candidate, 1, STEP_IMAGES)
    four_steps = largest_weight_change(candidate, 1, STEP_IMAGES // STEP_BATCHES)
    assert four_steps / one_step >= MIN_STEP_RATIO, four_steps / one_step


def check_train_honours_epochs(candidate):
    one_step = largest_weight_change(candidate, 1, STEP_IMAGES)
    four_steps = largest_weight_change(candidate, STEP_BATCHES, STEP_IMAGES)
    assert four_steps / one_step >= MIN_STEP_RATIO, four_steps / one_step
