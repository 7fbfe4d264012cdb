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
    # BEGIN SOLUTION: make a DataFrame with the columns user, item, rating (ratings as floats)
    if isinstance(ratings, pd.DataFrame):
        frame = ratings.loc[:, COLUMNS].copy()
    else:
        frame = pd.DataFrame([tuple(row) for row in ratings], columns=COLUMNS)
    frame["rating"] = frame["rating"].astype(float)
    return frame
    # END SOLUTION


def build_dataset(ratings, rating_scale=(1, 5)) -> Dataset:
    """Load the ratings (rows ``(user, item, rating)``) into a surprise ``Dataset`` on ``rating_scale``.

    ``rating_scale`` is ``(lowest, highest)``, the range every rating and every prediction lies in.
    """
    # BEGIN SOLUTION: a DataFrame of the ratings, loaded with Dataset.load_from_df and a Reader on this scale
    reader = Reader(rating_scale=tuple(rating_scale))
    return Dataset.load_from_df(ratings_frame(ratings), reader)
    # END SOLUTION


def train_knn(dataset: Dataset) -> KNNWithMeans:
    """Fit and return a user-based ``KNNWithMeans`` with cosine similarity on the whole dataset.

    Keep surprise's defaults for the number of neighbours (``k=40``, ``min_k=1``).
    """
    # BEGIN SOLUTION: KNNWithMeans with sim_options for cosine, user-based; fit it on the full trainset
    algorithm = KNNWithMeans(sim_options={"name": "cosine", "user_based": True}, verbose=False)
    algorithm.fit(dataset.build_full_trainset())
    return algorithm
    # END SOLUTION


def predict_rating(algorithm: KNNWithMeans, user, item) -> float:
    """Return the predicted rating of ``item`` by ``user``, as a float within the rating scale.

    An unknown user or item must not raise: return a sensible default within the scale (surprise
    falls back to the mean of all training ratings and marks the prediction ``was_impossible``).
    """
    # BEGIN SOLUTION: the estimate (.est) of the Prediction that algorithm.predict returns, clipped to the scale
    prediction = algorithm.predict(user, item)
    return float(prediction.est)
    # END SOLUTION


def top_n(algorithm: KNNWithMeans, ratings, user, n: int = 10) -> list[tuple[str, float]]:
    """Recommend ``user`` the ``n`` items with the highest predicted rating among those they have not rated.

    ``ratings`` are the rows the algorithm was trained on; the candidate items are every item in
    them that ``user`` has not rated.  Return ``(item, predicted_rating)`` pairs, best first (fewer
    than ``n`` only when fewer items are left unrated).
    """
    # BEGIN SOLUTION: predict every item the user has not rated, sort by prediction (highest first), keep n
    frame = ratings_frame(ratings)
    rated = set(frame.loc[frame["user"] == user, "item"])
    unrated = [item for item in frame["item"].unique() if item not in rated]
    scored = [(item, predict_rating(algorithm, user, item)) for item in unrated]
    scored.sort(key=lambda pair: pair[1], reverse=True)
    return scored[:n]
    # END SOLUTION
