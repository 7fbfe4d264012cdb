"""Word embeddings with Word2Vec (gensim 4).

Train a Word2Vec model on tokenised sentences, read a word's vector, and find a
word's nearest neighbours by cosine similarity.

    model = train_word2vec([["the", "cat", "sat"], ["the", "dog", "ran"]], vector_size=32)
    word_vector(model, "cat")            # np.ndarray of shape (32,)
    most_similar(model, "cat", topn=3)   # [("dog", 0.41), ...], best first, "cat" excluded
"""

from __future__ import annotations

import numpy as np
from gensim.models import Word2Vec


def train_word2vec(sentences: list[list[str]], vector_size: int = 32, window: int = 5, min_count: int = 1,
                   epochs: int = 20, seed: int = 0) -> Word2Vec:
    """Train and return a gensim ``Word2Vec`` model on ``sentences`` (a list of lists of tokens).

    Use every argument: ``vector_size`` dimensions, a context ``window`` (the largest distance between a
    word and a context word), drop words seen fewer than ``min_count`` times, train for ``epochs`` passes,
    and make training repeatable: the same ``seed`` must give exactly the same vectors (so train with a
    single worker thread).  Any of gensim's training algorithms (CBOW or skip-gram, negative sampling or
    hierarchical softmax) is accepted.
    """
    # BEGIN SOLUTION: build a gensim Word2Vec from all these arguments, with a single worker thread
    return Word2Vec(
        sentences=sentences,
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        epochs=epochs,
        seed=seed,
        workers=1,
    )
    # END SOLUTION


def word_vector(model: Word2Vec, word: str) -> np.ndarray:
    """Return the embedding of ``word``, a float array of shape ``(vector_size,)``.

    Raise ``KeyError`` naming the word when it is not in the model's vocabulary.
    """
    # BEGIN SOLUTION: look the word up in model.wv; raise KeyError naming the word if it is missing
    if word not in model.wv.key_to_index:
        raise KeyError(f"word {word!r} is not in the vocabulary ({len(model.wv)} words)")
    return np.array(model.wv[word], dtype=np.float32)
    # END SOLUTION


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Return the cosine of the angle between the 1-D vectors ``a`` and ``b``, in NumPy (no gensim)."""
    # BEGIN SOLUTION: the dot product divided by the product of the two norms
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    # END SOLUTION


def most_similar(model: Word2Vec, word: str, topn: int = 5) -> list[tuple[str, float]]:
    """Return the ``topn`` words nearest to ``word`` by cosine similarity, as ``(word, similarity)`` pairs.

    The most similar word comes first; ``word`` itself is never among them.  Raise ``KeyError``
    naming the word when it is not in the model's vocabulary.
    """
    # BEGIN SOLUTION: rank every other word by cosine similarity with this word, best first
    if word not in model.wv.key_to_index:
        raise KeyError(f"cannot find neighbours of {word!r}: it is not in the vocabulary")
    vectors = model.wv.vectors.astype(np.float64)
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    query_index = model.wv.key_to_index[word]
    similarities = unit @ unit[query_index]
    order = np.argsort(-similarities, kind="stable")
    neighbours = [(model.wv.index_to_key[index], float(similarities[index]))
                  for index in order if index != query_index]
    return neighbours[:topn]
    # END SOLUTION
