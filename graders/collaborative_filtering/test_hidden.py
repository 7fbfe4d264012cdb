"""Hidden checks of the collaborative_filtering exercise: the algorithm asked for, the scale, row order, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cf_data import read_recommendations

from harness.checks import expect_at_most, expect_close, expect_numbers, expect_subset

TOP_N = 10

# test_matches_user_based_cosine_knn compares the candidate's predictions with surprise's own user-based cosine
# KNNWithMeans, fitted here on the same rows.  The reference and every variant match it exactly (0 difference
# on seeds 0-19, CALIBRATION.md).  Other choices are far off on every seed 1-19 (the largest difference per
# seed): item-based by 0.57 or more, pearson by 0.76 or more, msd by 0.32 or more, KNNBasic by 2.0 or more,
# no clipping by 0.74 or more, a fit on a random 75% of the rows by 0.5 or more.  1e-6 only absorbs
# floating-point order effects.
REFERENCE_TOLERANCE = 1e-6
# test_predictions_follow_rating_scale: ratings doubled on a doubled scale must double every prediction;
# with cosine similarity that holds up to rounding (the reference: exactly, on seeds 0-19, CALIBRATION.md).
# msd similarity is off by far more (it is not scale-free), and a scale fixed at (1, 5) caps predictions at 5.
SCALE_TOLERANCE = 1e-6
# test_same_ratings_shuffled_same_model: the reference gives the same predictions whatever the order of the
# rows (at most 9e-16 apart on seeds 0-19, CALIBRATION.md); one fitted on a random 75% of them is off by
# 0.48 or more (seeds 0-9).
ORDER_TOLERANCE = 1e-9
# test_top_n_agrees_with_predictions and test_top_n_follows_its_arguments: top_n's estimates are predict_rating's
# (the reference: identical; a heap instead of a sort, variant heap_top_n: identical too).
AGREEMENT_TOLERANCE = 1e-9
# test_top_n_follows_its_arguments trains a second algorithm on a random 70% of the ratings and asks top_n for
# every item left unrated there.  A top_n that keeps using the first algorithm or the first ratings it was
# given lists the wrong estimates or the wrong number of items, on every seed.
SUBSET_SHARE = 0.7
SUBSET_USERS = 3


def reference_algorithm(rows, rating_scale):
    """surprise's KNNWithMeans, user-based with cosine similarity and default k, fitted on every row."""
    from surprise import Dataset, KNNWithMeans, Reader

    data = Dataset.load_from_df(
        pd.DataFrame(rows, columns=["user", "item", "rating"]), Reader(rating_scale=tuple(rating_scale))
    )
    options = {"name": "cosine", "user_based": True}
    return KNNWithMeans(k=40, min_k=1, sim_options=options, verbose=False).fit(data.build_full_trainset())


@pytest.mark.points(3)
def test_matches_user_based_cosine_knn(held_out_predictions, probe_predictions, ratings, measure):
    """Predictions match surprise's user-based KNNWithMeans with cosine similarity on the same ratings."""
    reference = reference_algorithm(ratings.rows, ratings.rating_scale)
    pairs = list(ratings.held_out) + [(user, item) for user in probe_predictions for item in ratings.items]
    found = np.concatenate([held_out_predictions] + [probe_predictions[user] for user in probe_predictions])
    expected = np.array([reference.predict(user, item).est for user, item in pairs])
    measure("max_abs_difference_in_1e-9", float(np.abs(found - expected).max()) * 1e9)
    expect_close(
        found,
        expected,
        rtol=0.0,
        atol=REFERENCE_TOLERANCE,
        what=f"predict_rating on {len(pairs)} (user, item) pairs (the held-out ones, then every item for "
        f"{', '.join(probe_predictions)}), against a user-based KNNWithMeans with cosine similarity (k=40, "
        "min_k=1, fitted on the full trainset, estimates clipped to the scale)",
        hint="train_knn: the algorithm class (KNNWithMeans), sim_options (name 'cosine', user_based True), "
        "surprise's default k and min_k, and fitting on build_full_trainset(); and predict_rating's clipping",
    )


@pytest.mark.points(2)
def test_predictions_follow_rating_scale(train, predict, probe_predictions, ratings, measure):
    """With every rating and the scale doubled, every prediction doubles."""
    low, high = ratings.rating_scale
    doubled_scale = (2 * low, 2 * high)
    doubled = train([(user, item, 2 * rating) for user, item, rating in ratings.rows], doubled_scale)
    for user, values in probe_predictions.items():
        found = np.array([predict(doubled, user, item) for item in ratings.items])
        measure("max_abs_difference_in_1e-9", float(np.abs(found - 2 * values).max()) * 1e9)
        expect_close(
            found,
            2 * values,
            rtol=0.0,
            atol=SCALE_TOLERANCE,
            what=f"predict_rating(algorithm, {user!r}, item) for every item, trained on the same ratings "
            f"doubled with rating_scale={doubled_scale}, against twice the predictions on the original "
            f"scale {ratings.rating_scale}",
            hint="how build_dataset passes rating_scale to the Reader (predictions are clipped to that "
            "scale), and the similarity in train_knn",
        )


@pytest.mark.points(1)
def test_same_ratings_shuffled_same_model(
    train, predict, recommend, held_out_predictions, ratings, algorithm, rng, measure
):
    """Training again on the same ratings in another order gives the same predictions and recommendations."""
    shuffled = [ratings.rows[index] for index in rng.permutation(len(ratings.rows))]
    again = train(shuffled, ratings.rating_scale)
    asked = ratings.held_out[:100]
    found = np.array([predict(again, user, item) for user, item in asked])
    measure("max_abs_difference_in_1e-9", float(np.abs(found - held_out_predictions[:100]).max(initial=0.0)) * 1e9)
    hint = (
        "train_knn and top_n: fit on every rating (build_full_trainset), with nothing random; the order of the "
        "rows should not matter"
    )
    expect_close(
        found,
        held_out_predictions[:100],
        rtol=0.0,
        atol=ORDER_TOLERANCE,
        hint=hint,
        what=f"predict_rating on {len(asked)} held-out pairs after training on the same ratings in another "
        "order, against the first training's",
    )
    for user in ratings.probe_users()[:3]:
        first = [estimate for _, estimate in recommend(algorithm, user, TOP_N)]
        second = [estimate for _, estimate in recommend(again, user, TOP_N)]
        second = expect_numbers(
            second,
            length=len(first),
            hint=hint,
            what=f"the estimates of top_n for {user!r} after training on the shuffled ratings",
        )
        expect_close(
            second,
            first,
            rtol=0.0,
            atol=ORDER_TOLERANCE,
            hint=hint,
            what=f"the estimates of top_n(algorithm, ratings, {user!r}, n={TOP_N}) after training on the "
            "same ratings in another order, against the first training's",
        )


def expect_top_n_follows_predictions(pairs, predicted: dict[str, float], candidates: list[str], what: str) -> None:
    """Fail unless ``pairs`` hold predict_rating's estimates, and no candidate left out is predicted higher."""
    hint = (
        "top_n: predict every item the user has not rated in `ratings` with the algorithm given, sort all of "
        "them (highest first), then keep n"
    )
    expect_subset([item for item, _ in pairs], candidates, what=what, noun="item that is not a candidate", hint=hint)
    expect_close(
        [estimate for _, estimate in pairs],
        [predicted[item] for item, _ in pairs],
        rtol=0.0,
        atol=AGREEMENT_TOLERANCE,
        what=f"the estimates of {what}, against predict_rating's",
        hint=hint,
    )
    listed = {item for item, _ in pairs}
    left_out = [predicted[item] for item in candidates if item not in listed]
    if pairs and left_out:
        lowest = float(np.min([estimate for _, estimate in pairs]))
        expect_at_most(
            float(np.max(left_out)),
            lowest + AGREEMENT_TOLERANCE,
            metric=f"the highest prediction of an unrated item {what} leaves out",
            baseline="the lowest estimate it lists: the n best unrated items should be listed",
            hint=hint,
        )


@pytest.mark.points(2)
def test_top_n_agrees_with_predictions(recommend, algorithm, probe_predictions, ratings):
    """top_n's estimates are predict_rating's, and no unrated item it leaves out is predicted higher."""
    for user, values in probe_predictions.items():
        expect_top_n_follows_predictions(
            recommend(algorithm, user, TOP_N),
            dict(zip(ratings.items, values)),
            ratings.unrated(user),
            what=f"top_n(algorithm, ratings, {user!r}, n={TOP_N})",
        )


@pytest.mark.points(2)
def test_top_n_follows_its_arguments(submission, train, predict, ratings, rng):
    """top_n ranks, with the algorithm it is given, the items the user has not rated in the ratings it is given."""
    kept = rng.random(len(ratings.rows)) < SUBSET_SHARE
    subset = [row for row, keep in zip(ratings.rows, kept) if keep]
    other = train(subset, ratings.rating_scale)
    removed_users = sorted({user for (user, _, _), keep in zip(ratings.rows, kept) if not keep})
    catalogue = sorted({item for _, item, _ in subset})
    # The most generous of those users (whose predictions reach the top of the scale), and two drawn at random.
    generous = sorted(removed_users, key=lambda user: (-ratings.user_means.get(user, 0.0), user))[0]
    others = [user for user in removed_users if user != generous]
    for user in [generous] + [str(user) for user in rng.choice(others, size=SUBSET_USERS - 1, replace=False)]:
        rated = {item for someone, item, _ in subset if someone == user}
        candidates = [item for item in catalogue if item not in rated]
        what = (
            f"top_n(other, subset, {user!r}, n={len(ratings.items)}), with `other` trained on a random "
            f"{SUBSET_SHARE:.0%} of the ratings and `subset` those ratings ({len(candidates)} items unrated there)"
        )
        pairs = read_recommendations(submission.top_n(other, subset, user, len(ratings.items)), what=what)
        expect_numbers(
            [estimate for _, estimate in pairs],
            length=len(candidates),
            what=f"the estimates of {what}",
            hint="top_n: the candidates are the items of `ratings` the user has not rated there; fewer "
            "than n only when fewer are left",
        )
        predicted = {item: predict(other, user, item) for item in candidates}
        expect_top_n_follows_predictions(pairs, predicted, candidates, what=what)
