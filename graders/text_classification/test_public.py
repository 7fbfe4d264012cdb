"""Public checks of text_classification: padding, verified embeddings and heads, masking, and training."""

from __future__ import annotations

import math

import numpy as np
import pytest
from text_tasks import PRESENCE_LENGTHS, VOCAB_SIZE, pad, random_token_ids

from harness.checks import (
    CheckFailed,
    expect_close,
    expect_dtype,
    expect_loss_decreases,
    expect_probabilities,
    expect_raises_in_submission,
    expect_shape,
    model_outputs,
    verify_compiled_loss,
)

INTEGER_LABEL_LOSSES = ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
EXTRA_PADDING = (7, 19)  # pad tokens appended to a batch in the masking checks
# Masked positions add exact zeros to a masked average and leave an LSTM's state as it is, so a masked model
# gives the same outputs up to float32 rounding (observed: 0 to 1e-7). Without a mask the pad embeddings change
# the outputs of a trained model by 1e-3 or more.
MASKING_ATOL = 1e-5
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the cross-entropy on the training set,
# computed by the grader before and after fitting the bag-of-embeddings model, falls by 0.655 at least (Adam at
# learning rate 0.003, the slowest the README allows, is the slowest correct solution); a model that learns
# nothing stays near ln(3) = 1.10, SGD at its default learning rate drops it by under 0.05, and
# Adam at its default 0.001 by about 0.18 (too slow for 6 epochs, as the README says).
MIN_RELATIVE_LOSS_DROP = 0.4


def _layer_objects(model) -> list:
    """Every layer of a (rebuilt) Keras model, nested models included, in order."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        found.extend(_layer_objects(layer))
    return found


def _claimed_loss(compile_config: dict | None) -> tuple[str | None, bool]:
    """The loss a model says it was compiled with: its name and its from_logits setting (verified afterwards)."""
    loss = (compile_config or {}).get("loss")
    if isinstance(loss, str):
        return loss, False
    if isinstance(loss, dict):
        settings = loss.get("config")
        return str(loss.get("class_name")), isinstance(settings, dict) and settings.get("from_logits") is True
    return None, False


@pytest.mark.points(2)
def test_pad_token_ids(submission, rng):
    """pad_token_ids pads at the end with 0, to the longest sequence or to length, cutting longer sequences' tails."""
    for count in (7, 4):
        sequences = [rng.integers(1, VOCAB_SIZE, size=int(size)).tolist() for size in rng.integers(1, 13, size=count)]
        longest = int(np.max([len(sequence) for sequence in sequences]))
        arrays = [np.asarray(sequence, dtype=np.int32) for sequence in sequences]
        for length in (None, longest - 3, longest + 4):
            call = f"pad_token_ids(sequences) for {count} sequences of 1 to {longest} tokens" + (
                "" if length is None else f", length={length}"
            )
            padded = expect_dtype(
                submission.pad_token_ids(sequences, length),
                np.int32,
                what=call,
                hint="np.zeros((count, length), dtype=np.int32)",
            )
            expect_close(
                padded,
                pad(arrays, length),
                what=call,
                rtol=0.0,
                atol=0.0,
                hint="each sequence starts at the beginning of its row and pad tokens (0) follow it; a "
                "longer sequence keeps its first `length` tokens (keras.utils.pad_sequences pads and "
                "cuts at the front by default)",
            )
    expect_raises_in_submission(
        lambda: submission.pad_token_ids(sequences, 0),
        accepted=("ValueError",),
        what="pad_token_ids(sequences, 0)",
        hint="the check of length",
    )


@pytest.mark.points(2)
def test_embedding_output(bag_models, lstm_models, rng):
    """Each model's verified Embedding maps token ids (batch, length) to (batch, length, embedding_dim)."""
    for built in bag_models + lstm_models:
        embeddings = [layer for layer in _layer_objects(built.verified.model) if type(layer).__name__ == "Embedding"]
        matching = [
            layer
            for layer in embeddings
            if layer.input_dim == built.vocab_size and layer.output_dim == built.embedding_dim
        ]
        if not matching:
            found = ", ".join(f"Embedding({layer.input_dim}, {layer.output_dim})" for layer in embeddings) or "none"
            raise CheckFailed(
                f"{built.call} should embed its tokens with keras.layers.Embedding({built.vocab_size}, "
                f"{built.embedding_dim}, ...) (vocab_size, embedding_dim); its embedding layers are: "
                f"{found}. Look at the arguments given to Embedding."
            )
        tokens = random_token_ids(rng, 4, built.vocab_size)
        expect_shape(
            np.asarray(matching[0](tokens)),
            (4, tokens.shape[1], built.embedding_dim),
            what=f"the Embedding layer of {built.call} applied to token ids of shape {tokens.shape}",
        )


@pytest.mark.points(2)
def test_probabilities(bag_models, lstm_models, rng):
    """Each model maps padded token ids to (batch, num_classes) probabilities, rows summing to 1."""
    for built in bag_models + lstm_models:
        tokens = random_token_ids(rng, 6, built.vocab_size)
        what = f"model.predict_on_batch(x) of {built.call} for 6 padded sequences"
        outputs = expect_shape(
            built.handle.predict_on_batch(tokens),
            (6, built.num_classes),
            what=what,
            hint="the units of the last Dense layer (num_classes)",
        )
        expect_probabilities(outputs, what=what, hint="the activation of the last layer (softmax)")


@pytest.mark.points(2)
def test_compiled(submission, bag_models, lstm_models, rng):
    """Both models are compiled with sparse categorical cross-entropy on probabilities, verified on secret tokens."""
    for built in (bag_models[0], lstm_models[0]):
        name, from_logits = _claimed_loss(built.verified.compile_config)
        if (name is not None and name not in INTEGER_LABEL_LOSSES) or from_logits:
            problem = (
                "told from_logits=True, so it treats the softmax probabilities as raw scores and applies a "
                "second softmax"
                if name in INTEGER_LABEL_LOSSES
                else f"{name!r}, which does not take integer labels 0 .. num_classes - 1"
            )
            raise CheckFailed(
                f"{built.call} is compiled with a loss {problem}. Compile with "
                "keras.losses.SparseCategoricalCrossentropy() (from_logits=False, the default)."
            )
        tokens = random_token_ids(rng, 16, built.vocab_size)
        labels = rng.integers(0, built.num_classes, size=16)
        verify_compiled_loss(built.verified, built.handle, tokens, labels, what=built.call)


def _lstm_units(layer) -> list[int]:
    """The units of an LSTM layer, or of the LSTMs a Bidirectional wrapper holds."""
    if layer.class_name == "LSTM":
        return [int(layer.config.get("units", -1))]
    if layer.class_name == "Bidirectional":
        inner = layer.config.get("layer", {})
        if isinstance(inner, dict) and inner.get("class_name") == "LSTM":
            return [int(inner.get("config", {}).get("units", -1))]
    return []


@pytest.mark.points(1)
def test_lstm_layer(lstm_models):
    """The verified LSTM classifier reads the embeddings with a keras.layers.LSTM of `units` units."""
    for built in lstm_models:
        units = [size for layer in built.verified.layers() for size in _lstm_units(layer)]
        if built.units not in units:
            raise CheckFailed(
                f"{built.call} should have a keras.layers.LSTM({built.units}) layer (units="
                f"{built.units}); its LSTM layers have {units or 'no'} units, its layers are: "
                f"{', '.join(built.verified.layer_classes())}. Look at build_lstm_classifier."
            )


def _expect_padding_ignored(trained, sequences: list[np.ndarray], *, name: str) -> None:
    """The trained model gives the same outputs for a batch whatever the number of pad tokens appended to it."""
    base = pad(sequences)
    count = len(sequences)
    reference = model_outputs(
        trained.model,
        base,
        shape=(count, None),
        what=f"{name}.predict_on_batch(x) for {count} padded sequences after {trained.call}",
    )
    for extra in EXTRA_PADDING:
        longer = pad(sequences, base.shape[1] + extra)
        expect_close(
            model_outputs(trained.model, longer, shape=reference.shape, what=f"{name}.predict_on_batch"),
            reference,
            rtol=0.0,
            atol=MASKING_ATOL,
            what=f"the outputs of {name} after {trained.call} for the same {count} sequences with {extra} "
            "more pad tokens appended",
            hint="mask_zero=True in the Embedding, and layers after it that honour the mask (a pooling "
            "layer such as GlobalMaxPooling1D drops it)",
        )


@pytest.mark.points(2)
def test_bag_ignores_padding(bag_on_presence, vocabulary, rng):
    """Appending pad tokens never changes the trained bag-of-embeddings model's predictions on secret sequences."""
    sequences, _ = vocabulary.presence(rng, 12)
    _expect_padding_ignored(bag_on_presence, sequences, name="build_bag_of_embeddings(60, 3)")


@pytest.mark.points(2)
def test_lstm_ignores_padding(lstm_on_order, vocabulary, rng):
    """Appending pad tokens never changes the trained LSTM classifier's predictions on secret sequences."""
    sequences, _ = vocabulary.order(rng, 12)
    _expect_padding_ignored(lstm_on_order, sequences, name="build_lstm_classifier(60, 2)")


def _cross_entropy(outputs, labels: np.ndarray, *, what: str) -> float:
    """The mean cross-entropy of the probabilities ``outputs`` for integer ``labels``, computed here."""
    probabilities = expect_probabilities(
        expect_shape(outputs, (len(labels), None), what=what),
        what=what,
        hint="the activation of the last layer (softmax)",
    )
    if probabilities.shape[1] <= labels.max():
        return math.inf
    chosen = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(chosen, 1e-7, 1.0))))


@pytest.mark.statistical
@pytest.mark.points(2)
def test_training_lowers_loss(bag_on_presence, measure):
    """Fitting the bag-of-embeddings model lowers its loss on the training sequences, measured by the grader."""
    trained = bag_on_presence
    what = f"model.predict_on_batch(x) for the {len(trained.x)} training sequences"
    before = _cross_entropy(trained.outputs_before, trained.labels, what=f"{what} before fitting")
    after = _cross_entropy(trained.model.predict_on_batch(trained.x), trained.labels, what=f"{what} after fitting")
    if math.isfinite(before) and before > 0:
        measure("relative loss drop", 1 - after / before)
    expect_loss_decreases(
        [before, after],
        min_relative_drop=MIN_RELATIVE_LOSS_DROP,
        what=f"the cross-entropy of build_bag_of_embeddings(60, 3) on its training sequences "
        f"({PRESENCE_LENGTHS[0]} to {PRESENCE_LENGTHS[1] - 1} tokens), before and after "
        f"{trained.call}",
        hint="the optimizer given to model.compile (Adam at a learning rate of 0.003 to 0.01), and the loss",
    )
