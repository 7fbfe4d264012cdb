"""User-based collaborative filtering with scikit-surprise (``KNNWithMeans``, cosine similarity).

Ratings arrive as plain rows ``(user, item, rating)``; build a pandas DataFrame from them, load it
into a surprise ``Dataset``, fit a user-based ``KNNWithMeans`` with cosine similarity on all of it,
then predict ratings and recommend unrated items.

    rows = [("alice", "matrix", 5.0), ("alice", "heat", 3.0), ("bob", "matrix", 4.0), ...]
    dataset = build_dataset(rows, rating_scale=(1, 5))
    algorithm = train_knn(dataset)
    predict_rating(algorithm, "bob", "heat")       # 3.6, always within the rating scale
    top_n(algorithm, rows, "bob", n=3)             # [("alien", 4.4), ("heat", 3.6), ...], best first
"""

from __future__ import annotations

import pandas as pd
from surprise import Dataset, KNNWithMeans, Reader

COLUMNS = ["user", "item", "rating"]


def ratings_frame(ratings) -> pd.DataFrame:
    """Return the ratings as a DataFrame with the columns ``user``, ``item`` and ``rating``, one row per rating.

    ``ratings`` is a list of ``(user, item, rating)`` rows (tuples or lists), or a DataFrame with
    those three columns.
    """
    # TODO: make a DataFrame with the columns user, item, rating (ratings as floats)
    raise NotImplementedError('Make a DataFrame with the columns user, item, rating (ratings as floats)')


def build_dataset(ratings, rating_scale=(1, 5)) -> Dataset:
    """Load the ratings (rows ``(user, item, rating)``) into a surprise ``Dataset`` on ``rating_scale``.

    ``rating_scale`` is ``(lowest, highest)``, the range every rating and every prediction lies in.
    """
    # TODO: a DataFrame of the ratings, loaded with Dataset.load_from_df and a Reader on this scale
    raise NotImplementedError('A DataFrame of the ratings, loaded with Dataset.load_from_df and a Reader on this scale')


def train_knn(dataset: Dataset) -> KNNWithMeans:
    """Fit and return a user-based ``KNNWithMeans`` with cosine similarity on the whole dataset.

    Keep surprise's defaults for the number of neighbours (``k=40``, ``min_k=1``).
    """
    # TODO: KNNWithMeans with sim_options for cosine, user-based; fit it on the full trainset
    raise NotImplementedError('KNNWithMeans with sim_options for cosine, user-based; fit it on the full trainset')


def predict_rating(algorithm: KNNWithMeans, user, item) -> float:
    """Return the predicted rating of ``item`` by ``user``, as a float within the rating scale.

    An unknown user or item must not raise: return a sensible default within the scale (surprise
    falls back to the mean of all training ratings and marks the prediction ``was_impossible``).
    """
    # TODO: the estimate (.est) of the Prediction that algorithm.predict returns, clipped to the scale
    raise NotImplementedError('The estimate (.est) of the Prediction that algorithm.predict returns, clipped to the scale')


def top_n(algorithm: KNNWithMeans, ratings, user, n: int = 10) -> list[tuple[str, float]]:
    """Recommend ``user`` the ``n`` items with the highest predicted rating among those they have not rated.

    ``ratings`` are the rows the algorithm was trained on; the candidate items are every item in
    them that ``user`` has not rated.  Return ``(item, predicted_rating)`` pairs, best first (fewer
    than ``n`` only when fewer items are left unrated).
    """
    # TODO: predict every item the user has not rated, sort by prediction (highest first), keep n
    raise NotImplementedError('Predict every item the user has not rated, sort by prediction (highest first), keep n')
