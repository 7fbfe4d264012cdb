"""The synthetic token-sequence tasks of text_classification, drawn from the run's secret (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VOCAB_SIZE = 60
NUM_CLASSES = 3
KEYWORDS_PER_CLASS = 2
PRESENCE_LENGTHS = (5, 21)  # drawn from [5, 21)
ORDER_LENGTHS = (6, 17)
TRAIN_SEQUENCES = 800  # presence task
ORDER_TRAIN_SEQUENCES = 480  # order task
EPOCHS = 6  # the grader's model.fit: 6 epochs of mini-batches of 32
BATCH_SIZE = 32
PROBE_SEQUENCES = 8

# The models whose structure the checks verify: (vocab_size, num_classes, embedding_dim[, units]). No argument is
# at its default (embedding_dim 16, units 32), so a builder that ignores one builds a model the checks can tell.
BAG_SETTINGS = ((VOCAB_SIZE, NUM_CLASSES, 8), (200, 5, 12))
LSTM_SETTINGS = ((VOCAB_SIZE, NUM_CLASSES, 8, 8), (200, 5, 12, 24))


def pad(sequences: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """The grader's own padding: int32 rows, each sequence at the start, zeros after it."""
    sizes = np.array([len(sequence) for sequence in sequences])
    length = int(np.max(sizes)) if length is None else length
    tokens = np.concatenate([np.asarray(sequence, dtype=np.int32)[:length] for sequence in sequences])
    positions = np.arange(length)[np.newaxis, :] < np.minimum(sizes, length)[:, np.newaxis]
    padded = np.zeros(positions.shape, dtype=np.int32)
    padded[positions] = tokens  # row-major order: each row's tokens fill its first positions
    return padded


@dataclass(frozen=True)
class Vocabulary:
    """The roles the run's secret gave the tokens."""

    keywords: np.ndarray  # (NUM_CLASSES, KEYWORDS_PER_CLASS)
    markers: tuple[int, int]  # A and B of the order task
    fillers: np.ndarray

    def presence(self, rng: np.random.Generator, count: int) -> tuple[list[np.ndarray], np.ndarray]:
        """``count`` presence-task sequences (unpadded) and their labels."""
        labels = rng.integers(0, NUM_CLASSES, size=count)
        sequences = []
        for label in labels:
            sequence = rng.choice(self.fillers, size=int(rng.integers(*PRESENCE_LENGTHS)))
            sequence[rng.integers(len(sequence))] = rng.choice(self.keywords[label])
            sequences.append(sequence.astype(np.int32))
        return sequences, labels.astype(np.int64)

    def order(self, rng: np.random.Generator, count: int) -> tuple[list[np.ndarray], np.ndarray]:
        """``count`` order-task sequences (unpadded) and their labels: 1 when A comes before B."""
        labels = rng.integers(0, 2, size=count)
        first, second = self.markers
        sequences = []
        for label in labels:
            sequence = rng.choice(self.fillers, size=int(rng.integers(*ORDER_LENGTHS)))
            early, late = np.sort(rng.choice(len(sequence), size=2, replace=False))
            sequence[early], sequence[late] = (first, second) if label == 1 else (second, first)
            sequences.append(sequence.astype(np.int32))
        return sequences, labels.astype(np.int64)


def draw_vocabulary(rng: np.random.Generator) -> Vocabulary:
    """Give each token 1 .. VOCAB_SIZE - 1 a role: keyword of a class, order marker, or filler."""
    tokens = rng.permutation(np.arange(1, VOCAB_SIZE))
    keyword_count = NUM_CLASSES * KEYWORDS_PER_CLASS
    return Vocabulary(
        keywords=tokens[:keyword_count].reshape(NUM_CLASSES, KEYWORDS_PER_CLASS),
        markers=(int(tokens[keyword_count]), int(tokens[keyword_count + 1])),
        fillers=tokens[keyword_count + 2 :],
    )


def random_token_ids(rng: np.random.Generator, count: int, vocab_size: int) -> np.ndarray:
    """``count`` padded sequences of 3 to 12 random real tokens below ``vocab_size``, as probe inputs."""
    lengths = rng.integers(3, 13, size=count)
    return pad([rng.integers(1, vocab_size, size=length).astype(np.int32) for length in lengths])
