"""Hidden checks of text_classification: accuracy on secret sequences, and the order task only an LSTM can learn."""

from __future__ import annotations

import numpy as np
import pytest
from text_tasks import pad

from harness.checks import expect_at_least, expect_at_most, model_outputs

HELD_OUT_SEQUENCES = 400
# Calibration (CALIBRATION.md, 20 seeds, reference and every variant): the bag-of-embeddings model finds the
# keyword of the presence task on 400 secret sequences with accuracy 1.0 on every run; an
# untrained model or one trained with a loss that does not fit the labels stays near chance, 1/3.
MIN_PRESENCE_ACCURACY = 0.9
# The LSTM on the order task: correct solutions reach 0.945 at least (median 1.0); a model that cannot
# see the order (any pooling of the embeddings) stays at chance, 0.5 +- 0.025 on 400 sequences.
MIN_ORDER_ACCURACY = 0.75
# The bag-of-embeddings model on the order task: every class holds the same bag of tokens, so a model that pools
# the embeddings is at chance (observed: 0.4525-0.58 over 20 seeds); 0.65 is 6 standard
# deviations of chance above 0.5, and a model that reads the order (an LSTM, Flatten) reaches 0.9 or more.
MAX_BAG_ORDER_ACCURACY = 0.65


def _accuracy(trained, sequences, labels, *, name: str) -> float:
    x = pad(sequences)
    outputs = model_outputs(
        trained.model,
        x,
        shape=(len(labels), None),
        what=f"{name}.predict_on_batch(x) for {len(labels)} secret sequences after {trained.call}",
        hint="the units of the last Dense layer (num_classes)",
    )
    return float(np.mean(np.argmax(outputs, axis=1) == labels))


@pytest.mark.statistical
@pytest.mark.points(3)
def test_presence_accuracy(bag_on_presence, vocabulary, rng, measure):
    """After training, the bag-of-embeddings model tells which class's keyword a secret sequence holds."""
    sequences, labels = vocabulary.presence(rng, HELD_OUT_SEQUENCES)  # the labels stay here
    accuracy = measure("accuracy", _accuracy(bag_on_presence, sequences, labels, name="build_bag_of_embeddings(60, 3)"))
    expect_at_least(
        accuracy,
        MIN_PRESENCE_ACCURACY,
        metric=f"accuracy of build_bag_of_embeddings(60, 3) on {HELD_OUT_SEQUENCES} secret sequences "
        f"after {bag_on_presence.call}",
        baseline="chance is 1/3; the reference solution reaches about 1.0",
        hint="the optimizer and loss given to model.compile: Adam at a learning rate of 0.003 to 0.01",
    )


@pytest.mark.statistical
@pytest.mark.points(3)
def test_lstm_learns_order(lstm_on_order, vocabulary, rng, measure):
    """After training, the LSTM classifier tells whether marker A comes before marker B in secret sequences."""
    sequences, labels = vocabulary.order(rng, HELD_OUT_SEQUENCES)
    accuracy = measure("accuracy", _accuracy(lstm_on_order, sequences, labels, name="build_lstm_classifier(60, 2)"))
    expect_at_least(
        accuracy,
        MIN_ORDER_ACCURACY,
        metric=f"accuracy of build_lstm_classifier(60, 2) on {HELD_OUT_SEQUENCES} secret sequences of "
        f"the order task after {lstm_on_order.call}",
        baseline="chance is 0.5; the reference solution reaches about 1.0",
        hint="the LSTM between the Embedding and the head, and the optimizer: Adam at a learning rate of 0.003 to 0.01",
    )


@pytest.mark.statistical
@pytest.mark.points(2)
def test_bag_is_order_blind(bag_on_order, vocabulary, rng, measure):
    """The bag-of-embeddings model, trained on the order task, stays at chance: it cannot see the order."""
    sequences, labels = vocabulary.order(rng, HELD_OUT_SEQUENCES)
    accuracy = measure("accuracy", _accuracy(bag_on_order, sequences, labels, name="build_bag_of_embeddings(60, 2)"))
    expect_at_most(
        accuracy,
        MAX_BAG_ORDER_ACCURACY,
        metric=f"accuracy of build_bag_of_embeddings(60, 2) on {HELD_OUT_SEQUENCES} secret sequences of "
        f"the order task after {bag_on_order.call}",
        baseline="a model that averages the embeddings cannot beat chance, 0.5, there",
        hint="build_bag_of_embeddings must pool the embeddings (GlobalAveragePooling1D), not read them "
        "in order (no LSTM, no Flatten)",
    )
