"""Shared fixtures of the collaborative_filtering checks: the run's ratings and the candidate's model, trained once.

The data (``cf_data.py``) come from ``data_seed``, a secret the worker never sees; the worker receives
the training rows only.  The algorithm the candidate's ``train_knn`` returns stays in the worker (a
handle), and every check that needs it shares the one trained here.
"""

from __future__ import annotations

import numpy as np
import pytest
from cf_data import Ratings, make_ratings, read_rating, read_recommendations

TRAIN_DEADLINE_SECONDS = 30


@pytest.fixture(scope="session")
def ratings(data_seed) -> Ratings:
    """The run's synthetic ratings (training rows, held-out ratings and true scores)."""
    return make_ratings(data_seed)


@pytest.fixture(scope="session")
def train(submission):
    """Build a dataset from rows and train the candidate's algorithm on it; the algorithm stays in the worker."""

    def build_and_train(rows, rating_scale):
        slow = submission.with_deadline(TRAIN_DEADLINE_SECONDS)
        return slow.train_knn(slow.build_dataset(rows, rating_scale))

    return build_and_train


@pytest.fixture(scope="session")
def algorithm(train, ratings):
    """The candidate's algorithm trained once on the run's training rows (a handle)."""
    return train(ratings.rows, ratings.rating_scale)


@pytest.fixture(scope="session")
def predict(submission):
    """Ask the candidate's predict_rating for one rating, read as a float."""

    def ask(model, user: str, item: str) -> float:
        return read_rating(
            submission.predict_rating(model, user, item), what=f"predict_rating(algorithm, {user!r}, {item!r})"
        )

    return ask


@pytest.fixture(scope="session")
def held_out_predictions(predict, algorithm, ratings) -> np.ndarray:
    """The candidate's predictions of the held-out pairs, in ratings.held_out order."""
    return np.array([predict(algorithm, user, item) for user, item in ratings.held_out], dtype=np.float64)


@pytest.fixture(scope="session")
def probe_predictions(predict, algorithm, ratings) -> dict[str, np.ndarray]:
    """The candidate's predictions of every item (rated or not) for the probe users, in ratings.items order."""
    return {
        user: np.array([predict(algorithm, user, item) for item in ratings.items], dtype=np.float64)
        for user in ratings.probe_users()
    }


@pytest.fixture(scope="session")
def recommend(submission, ratings):
    """Ask the candidate's top_n for a user's recommendations, read as (item, estimate) pairs."""

    def ask(model, user: str, n: int) -> list[tuple[str, float]]:
        return read_recommendations(
            submission.top_n(model, ratings.rows, user, n), what=f"top_n(algorithm, ratings, {user!r}, n={n})"
        )

    return ask
