"""Shared data and fixtures of the word2vec checks: the run's corpora and the candidate's models, trained once.

The topic corpus is made from the run's seed.  It has 4 to 6 topics, each with
its own vocabulary of made-up words, and a set of filler words shared by all
topics.  A sentence picks one topic and alternates words of that topic (now and
then a word of another topic) with filler words.  The worker receives the
sentences only; which word belongs to which topic stays here, and the checks
score the neighbours the candidate's code returns against it.  The models stay
in the worker (handles).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from harness.checks import expect_array
from harness.checks import CheckFailed
from harness.checks import Handle

VECTOR_SIZE = 32
TRAINING = {"vector_size": VECTOR_SIZE, "window": 4, "min_count": 1, "epochs": 25}  # + seed=<run seed>
TRAIN_DEADLINE_SECONDS = 30
TOPN = 5

SENTENCES = 1500
WORDS_PER_TOPIC = 15
FILLER_WORDS = 16
TOPIC_WORDS_PER_SENTENCE = (4, 7)   # drawn from [4, 7)
OFF_TOPIC_RATE = 0.2                # share of a sentence's topic words drawn from any topic at random

SMALL_TRAINING = {"vector_size": 12, "window": 2, "min_count": 3, "epochs": 5}  # + seed=<run seed>

CONSONANTS = list("bdfgklmnprstvz")
VOWELS = list("aeiou")


def made_up_word(rng: np.random.Generator, syllables: int) -> str:
    return "".join(str(rng.choice(CONSONANTS)) + str(rng.choice(VOWELS)) for _ in range(syllables))


def made_up_words(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """Return ``count`` new words of two or three consonant-vowel syllables, none in ``taken``."""
    words = []
    while len(words) < count:
        word = made_up_word(rng, int(rng.integers(2, 4)))
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


@dataclass
class TopicCorpus:
    """Sentences plus the answer key: which topic each word belongs to."""

    sentences: list[list[str]]
    topics: list[list[str]]
    fillers: list[str]
    topic_of: dict[str, int] = field(init=False)
    vocabulary: list[str] = field(init=False)

    def __post_init__(self):
        self.topic_of = {word: number for number, words in enumerate(self.topics) for word in words}
        self.vocabulary = sorted({word for sentence in self.sentences for word in sentence})

    @staticmethod
    def unknown_word(rng: np.random.Generator) -> str:
        """A made-up word of four syllables: never in the corpus, whose words have two or three."""
        return made_up_word(rng, 4)


def topic_corpus(seed: int) -> TopicCorpus:
    """Generate the run's topic corpus from ``seed``."""
    rng = np.random.default_rng([seed, 2])
    taken: set[str] = set()
    topics = [made_up_words(rng, WORDS_PER_TOPIC, taken) for _ in range(int(rng.integers(4, 7)))]
    fillers = made_up_words(rng, FILLER_WORDS, taken)
    sentences = []
    for _ in range(SENTENCES):
        topic = int(rng.integers(len(topics)))
        sentence = []
        for _ in range(int(rng.integers(*TOPIC_WORDS_PER_SENTENCE))):
            source = int(rng.integers(len(topics))) if rng.random() < OFF_TOPIC_RATE else topic
            sentence.append(str(rng.choice(topics[source])))
            sentence.append(str(rng.choice(fillers)))
        sentences.append(sentence)
    return TopicCorpus(sentences, topics, fillers)


@dataclass
class CountedCorpus:
    """A small corpus in which some words occur exactly ``min_count`` times and some one time fewer."""

    sentences: list[list[str]]
    min_count: int
    frequent: list[str]
    at_min_count: list[str]
    below_min_count: list[str]


def counted_corpus(seed: int, min_count: int = SMALL_TRAINING["min_count"]) -> CountedCorpus:
    """Generate 40 sentences of frequent words, then plant the rare words their exact number of times."""
    rng = np.random.default_rng([seed, 3])
    taken: set[str] = set()
    frequent = made_up_words(rng, 8, taken)
    at_min_count = made_up_words(rng, 4, taken)
    below_min_count = made_up_words(rng, 4, taken)
    sentences = [[str(word) for word in rng.choice(frequent, size=6)] for _ in range(40)]
    planted = [word for word in at_min_count for _ in range(min_count)]
    planted += [word for word in below_min_count for _ in range(min_count - 1)]
    for word in planted:
        sentence = sentences[int(rng.integers(len(sentences)))]
        sentence.insert(int(rng.integers(len(sentence) + 1)), word)
    return CountedCorpus(sentences, min_count, frequent, at_min_count, below_min_count)


def read_neighbours(value, *, what: str) -> list[tuple[str, float]]:
    """Read most_similar's answer as (word, similarity) pairs, or fail saying what came back instead."""
    hint = " Look at what most_similar returns: a list of (word, similarity) tuples, best first."
    if isinstance(value, Handle) or not isinstance(value, (list, tuple)):
        found = value.type_name if isinstance(value, Handle) else type(value).__name__
        raise CheckFailed(f"{what} should be a list of (word, similarity) tuples, but it is {found}.{hint}")
    pairs = []
    for position, item in enumerate(value):
        if (not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[0], str)
                or isinstance(item[1], bool) or not isinstance(item[1], (int, float))):
            raise CheckFailed(f"{what}[{position}] should be a (word, similarity) pair of a str and a float, "
                              f"but it is {repr(item)[:80]}.{hint}")
        pairs.append((item[0], float(item[1])))
    return pairs


@pytest.fixture(scope="session")
def corpus(data_seed) -> TopicCorpus:
    """The run's synthetic topic corpus."""
    return topic_corpus(data_seed)


@pytest.fixture(scope="session")
def model(submission, corpus, worker_seed):
    """The candidate's model trained once on the topic corpus (a handle: it stays in the worker)."""
    return submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_word2vec(corpus.sentences, **TRAINING, seed=worker_seed)


@pytest.fixture(scope="session")
def vectors(submission, model, corpus) -> dict[str, np.ndarray]:
    """Every vocabulary word's vector, as the candidate's word_vector returns it."""
    return {word: expect_array(submission.word_vector(model, word), what=f"word_vector(model, {word!r})",
                               hint="word_vector").astype(np.float64).ravel()
            for word in corpus.vocabulary}


@pytest.fixture(scope="session")
def neighbours(submission, model):
    """Ask the candidate's most_similar for a word's neighbours, read as (word, similarity) pairs."""

    def ask(word: str, topn: int) -> list[tuple[str, float]]:
        what = f"most_similar(model, {word!r}, topn={topn})"
        return read_neighbours(submission.most_similar(model, word, topn=topn), what=what)

    return ask


@pytest.fixture(scope="session")
def small_corpus(data_seed) -> CountedCorpus:
    """A small corpus with words planted exactly min_count times and min_count - 1 times."""
    return counted_corpus(data_seed)


@pytest.fixture(scope="session")
def small_model(submission, small_corpus, worker_seed):
    """The candidate's model trained on the small corpus with vector_size=12 and min_count=3."""
    return submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_word2vec(
        small_corpus.sentences, **SMALL_TRAINING, seed=worker_seed)


@pytest.fixture(scope="session")
def training(worker_seed) -> dict:
    """The keyword arguments the shared model was trained with (seed included)."""
    return dict(TRAINING, seed=worker_seed)


@pytest.fixture(scope="session")
def train(submission):
    """Call the candidate's train_word2vec with the training deadline; the model comes back as a handle."""
    return submission.with_deadline(TRAIN_DEADLINE_SECONDS).train_word2vec
