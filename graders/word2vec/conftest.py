"""Shared fixtures of the word2vec checks: the run's corpora (``corpora.py``) and the candidate's models.

Every corpus comes from ``data_seed``, a secret the worker never sees; the worker receives sentences
only, and trains with ``worker_seed``.  The models stay in the worker (handles): the checks judge the
vectors and neighbours the candidate's functions return, never the model's own attributes.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpora import (
    CountedCorpus,
    TopicCorpus,
    WindowCorpus,
    counted_corpus,
    read_neighbours,
    topic_corpus,
    window_corpus,
)

from harness.checks import expect_finite, expect_shape

TRAINING = {"vector_size": 32, "window": 4, "min_count": 1, "epochs": 25}  # + seed=worker_seed
SMALL_TRAINING = {"vector_size": 12, "window": 2, "min_count": 3, "epochs": 5}  # + seed=worker_seed
TRAIN_DEADLINE_SECONDS = 30


@pytest.fixture(scope="session")
def train(submission):
    """Call the candidate's train_word2vec with the training deadline; the model comes back as a handle."""
    return submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_word2vec


@pytest.fixture(scope="session")
def vectors_of(submission):
    """Read the vectors word_vector returns for some words: finite float64 arrays, all of one size (``size``)."""

    def read(model, words, *, size: int | None = None, trained: str = "") -> dict[str, np.ndarray]:
        found = {}
        for word in words:
            what = f"word_vector(model, {word!r}){trained}"
            vector = expect_shape(
                submission.word_vector(model, word),
                (size,),
                what=what,
                hint="word_vector: model.wv[word], one vector of vector_size floats",
            )
            found[word] = expect_finite(vector, what=what, hint="word_vector").astype(np.float64)
            size = len(vector)  # every word's vector has the first one's size
        return found

    return read


@pytest.fixture(scope="session")
def corpus(data_seed) -> TopicCorpus:
    """The run's topic corpus."""
    return topic_corpus(data_seed)


@pytest.fixture(scope="session")
def training(worker_seed) -> dict:
    """The keyword arguments the shared model is trained with (seed included)."""
    return dict(TRAINING, seed=worker_seed)


@pytest.fixture(scope="session")
def model(train, corpus, training):
    """The candidate's model trained once on the topic corpus (a handle: it stays in the worker)."""
    return train(corpus.sentences, **training)


@pytest.fixture(scope="session")
def vectors(vectors_of, model, corpus) -> dict[str, np.ndarray]:
    """Every vocabulary word's vector, as the candidate's word_vector returns it."""
    return vectors_of(model, corpus.vocabulary)


@pytest.fixture(scope="session")
def neighbours(submission, model):
    """Ask the candidate's most_similar for a word's neighbours in the shared model, as (word, similarity) pairs."""

    def ask(word: str, topn: int, *, other_model=None, trained: str = "") -> list[tuple[str, float]]:
        what = f"most_similar(model, {word!r}, topn={topn}){trained}"
        asked = model if other_model is None else other_model
        return read_neighbours(submission.most_similar(asked, word, topn=topn), what=what)

    return ask


@pytest.fixture(scope="session")
def small_corpus(data_seed) -> CountedCorpus:
    """A small corpus with words planted exactly min_count times and min_count - 1 times."""
    return counted_corpus(data_seed, min_count=SMALL_TRAINING["min_count"])


@pytest.fixture(scope="session")
def small_training(worker_seed) -> dict:
    """The keyword arguments of the small model (seed included)."""
    return dict(SMALL_TRAINING, seed=worker_seed)


@pytest.fixture(scope="session")
def small_model(train, small_corpus, small_training):
    """The candidate's model trained on the small corpus with vector_size=12, window=2, min_count=3, epochs=5."""
    return train(small_corpus.sentences, **small_training)


@pytest.fixture(scope="session")
def context_corpus(data_seed) -> WindowCorpus:
    """The run's window corpus, where a narrow and a wide context window give different neighbours."""
    return window_corpus(data_seed)
