"""Hidden checks of the word2vec exercise: similarities are true cosines, and every argument is honoured."""

from __future__ import annotations

import numpy as np
import pytest

from harness.checks import expect_raises_in_submission, expect_shape
from harness.checks import CheckFailed, NotImplementedYet, RaisedInSubmission

TOPN = 5
# Returned similarities are compared with the grader's float64 cosine of the vectors word_vector returns.
# The reference computes it in float64 too (error below 5e-16 on 20 seeds, CALIBRATION.md); gensim's own
# float32 most_similar is off by at most 1.8e-7 (seeds 0-2).  Wrong similarities are off by far more:
# 1 / (1 + Euclidean distance) by at least 0.15 and raw dot products by at least 0.65 (seeds 0-4).
# 1e-4 tolerates float32 arithmetic with a 500x margin.
SIMILARITY_TOLERANCE = 1e-4


def cosine_of(a: np.ndarray, b: np.ndarray) -> float:
    """The grader's own cosine of two vectors, in float64."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(a @ b) / float(np.sqrt((a @ a) * (b @ b)))


@pytest.mark.points(2)
def test_similarities_are_cosines(neighbours, vectors, corpus, rng, measure):
    """Similarities are the cosines of the word vectors; no closer word is left out."""
    worst = 0.0
    for word in rng.choice(corpus.vocabulary, size=8, replace=False):
        word = str(word)
        what = f"most_similar(model, {word!r}, topn={TOPN})"
        pairs = neighbours(word, TOPN)
        for neighbour, similarity in pairs:
            if neighbour not in vectors:
                raise CheckFailed(f"{what} returned {neighbour!r}, which is not a word of the training sentences.")
            expected = cosine_of(vectors[word], vectors[neighbour])
            error = abs(similarity - expected)
            worst = max(worst, error)
            if not error <= SIMILARITY_TOLERANCE:
                raise CheckFailed(
                    f"{what} gives {neighbour!r} a similarity of {similarity:.6g}, but the cosine of the two words' "
                    f"vectors (from word_vector) is {expected:.6g}. Look at how most_similar computes similarity: "
                    "cosine = a·b / (|a| |b|), not a distance or a plain dot product.")
        if not pairs:
            continue
        returned = {neighbour for neighbour, _ in pairs} | {word}
        lowest = min(similarity for _, similarity in pairs)
        left_out = max((other for other in corpus.vocabulary if other not in returned),
                       key=lambda other: cosine_of(vectors[word], vectors[other]))
        closest_left_out = cosine_of(vectors[word], vectors[left_out])
        if closest_left_out > lowest + SIMILARITY_TOLERANCE:
            raise CheckFailed(
                f"{what} left out {left_out!r} (cosine {closest_left_out:.4f}) but returned a word with "
                f"similarity {lowest:.4f}: the topn most similar words should be returned. Look at the ranking "
                "(highest cosine first) in most_similar.")
    measure("similarity_max_abs_error_in_1e-9", worst * 1e9)


@pytest.mark.points(1)
def test_vector_size_respected(submission, small_model, small_corpus):
    """train_word2vec honours vector_size= (12 dimensions on a second corpus)."""
    word = small_corpus.frequent[0]
    expect_shape(submission.word_vector(small_model, word), (12,),
                 what=f"word_vector(model, {word!r}) for a model trained with vector_size=12",
                 hint="how train_word2vec passes vector_size= to Word2Vec")


@pytest.mark.points(1)
def test_min_count_respected(submission, small_model, small_corpus):
    """train_word2vec honours min_count= (words seen min_count times kept, rarer dropped)."""
    count = small_corpus.min_count
    for word in small_corpus.at_min_count:
        try:
            submission.word_vector(small_model, word)
        except NotImplementedYet:
            raise
        except RaisedInSubmission as error:  # the word was dropped from the vocabulary
            raise CheckFailed(
                f"{word!r} occurs {count} times in the sentences and the model was trained with min_count={count}, "
                f"so it should be in the vocabulary, but word_vector(model, {word!r}) failed: {error.type_name}: "
                f"{error.error_message}. Look at how train_word2vec passes min_count= to Word2Vec (gensim's own "
                "default is 5).") from None
    for word in small_corpus.below_min_count:
        expect_raises_in_submission(
            lambda: submission.word_vector(small_model, word), accepted=("KeyError", "ValueError"),
            what=f"word_vector(model, {word!r}) for a word seen {count - 1} times with min_count={count}",
            hint="how train_word2vec passes min_count= to Word2Vec: rarer words must be left out")
