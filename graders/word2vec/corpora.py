"""The word2vec checks' data: three synthetic corpora of made-up words, and a reader of most_similar's answers.

Every corpus is made from ``data_seed`` (a secret the worker never sees); the worker receives the
sentences only.  What each word *is* (its topic, its class, how often it was planted) stays here.

- The **topic corpus**: 4 to 6 topics of 15 words each and 16 filler words shared by all; a sentence
  picks a topic and alternates its words (one in five from a random topic) with fillers.
- The **counted corpus**: 40 short sentences of 8 frequent words, with some rare words planted exactly
  ``min_count`` times and some one time fewer.
- The **window corpus**, where the context window decides what "similar" means.  Each content word has
  a topic (4 or 5) and a class (3); each class has 30 marker words.  A sentence picks a topic and
  strings together triples ``marker, word, marker``: the word from that topic and a random class, both
  markers from the word's class.  A word's immediate neighbours are markers of its own class, whatever
  the topic; the words further away are other words of its topic.  So with ``window=1`` the words of a
  class (across topics) get similar vectors, and with a wide window the words of a topic do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.checks import expect_numbers, expect_type

CONSONANTS = list("bdfgklmnprstvz")
VOWELS = list("aeiou")

TOPIC_SENTENCES = 1500
WORDS_PER_TOPIC = 15
FILLER_WORDS = 16
TOPIC_WORDS_PER_SENTENCE = (4, 7)  # drawn from [4, 7)
OFF_TOPIC_RATE = 0.2  # share of a sentence's topic words drawn from any topic at random

WINDOW_SENTENCES = 600
WINDOW_TOPICS = (4, 6)  # drawn from [4, 6)
WINDOW_CLASSES = 3
WORDS_PER_CELL = 4  # content words per (topic, class)
MARKERS_PER_CLASS = 30  # many markers, so that none is frequent enough for gensim to drop it often
TRIPLES_PER_SENTENCE = (6, 10)  # drawn from [6, 10)


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


def unknown_word(rng: np.random.Generator) -> str:
    """A made-up word of four syllables: never in a corpus, whose words have two or three."""
    return made_up_word(rng, 4)


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


def topic_corpus(seed: int) -> TopicCorpus:
    """Generate the run's topic corpus from ``seed``."""
    rng = np.random.default_rng([seed, 2])
    taken: set[str] = set()
    topics = [made_up_words(rng, WORDS_PER_TOPIC, taken) for _ in range(int(rng.integers(4, 7)))]
    fillers = made_up_words(rng, FILLER_WORDS, taken)
    sentences = []
    for _ in range(TOPIC_SENTENCES):
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

    @property
    def kept(self) -> list[str]:
        """The words a model trained with ``min_count`` keeps."""
        return self.frequent + self.at_min_count


def counted_corpus(seed: int, min_count: int) -> CountedCorpus:
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


@dataclass
class WindowCorpus:
    """Sentences of (marker, word, marker) triples, plus each content word's topic and class."""

    sentences: list[list[str]]
    words: list[str]  # the content words
    topic_of: dict[str, int]
    class_of: dict[str, int]

    def class_over_topic(self, vectors: dict[str, np.ndarray]) -> float:
        """How often a word's class-mate from another topic is closer than its topic-mate of another class.

        For each content word, over every pair (a word of its class in another topic, a word of its topic in
        another class), the share of pairs whose class-mate has the higher cosine similarity with it;
        averaged over the words.  1 = neighbours by class (a narrow window), 0 = by topic (a wide one).
        """
        matrix = np.stack([np.asarray(vectors[word], dtype=np.float64) for word in self.words])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = matrix / np.where(norms > 0, norms, np.inf)  # a zero vector has cosine 0 with everything
        cosines = unit @ unit.T
        topics = np.array([self.topic_of[word] for word in self.words])
        classes = np.array([self.class_of[word] for word in self.words])
        shares = []
        for index in range(len(self.words)):
            class_mates = cosines[index][(classes == classes[index]) & (topics != topics[index])]
            topic_mates = cosines[index][(topics == topics[index]) & (classes != classes[index])]
            shares.append(float(np.mean(class_mates[:, None] > topic_mates[None, :])))
        return float(np.mean(shares))


def window_corpus(seed: int) -> WindowCorpus:
    """Generate the run's window corpus from ``seed``."""
    rng = np.random.default_rng([seed, 4])
    taken: set[str] = set()
    topic_count = int(rng.integers(*WINDOW_TOPICS))
    cells = {
        (topic, kind): made_up_words(rng, WORDS_PER_CELL, taken)
        for topic in range(topic_count)
        for kind in range(WINDOW_CLASSES)
    }
    markers = [made_up_words(rng, MARKERS_PER_CLASS, taken) for _ in range(WINDOW_CLASSES)]
    sentences = []
    for _ in range(WINDOW_SENTENCES):
        topic = int(rng.integers(topic_count))
        sentence = []
        for _ in range(int(rng.integers(*TRIPLES_PER_SENTENCE))):
            kind = int(rng.integers(WINDOW_CLASSES))
            sentence += [
                str(rng.choice(markers[kind])),
                str(rng.choice(cells[topic, kind])),
                str(rng.choice(markers[kind])),
            ]
        sentences.append(sentence)
    words = [word for cell in cells.values() for word in cell]
    return WindowCorpus(
        sentences,
        words,
        topic_of={word: topic for (topic, _), cell in cells.items() for word in cell},
        class_of={word: kind for (_, kind), cell in cells.items() for word in cell},
    )


def read_neighbours(value, *, what: str) -> list[tuple[str, float]]:
    """Read most_similar's answer as (word, similarity) pairs, or fail saying what came back instead."""
    hint = "what most_similar returns: a list of (word, similarity) tuples, best first"
    pairs = expect_type(value, (list, tuple), what=what, hint=hint)
    words = []
    for position, pair in enumerate(pairs):
        expect_type(pair, (list, tuple), what=f"{what}[{position}]", hint=hint)
        expect_numbers(list(pair)[1:], length=1, what=f"{what}[{position}] after its word (one similarity)", hint=hint)
        words.append(expect_type(pair[0], str, what=f"the word in {what}[{position}]", hint=hint))
    similarities = expect_numbers([pair[1] for pair in pairs], what=f"the similarities in {what}", hint=hint)
    return list(zip(words, similarities))
