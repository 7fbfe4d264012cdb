"""Hidden checks of the collaborative_filtering exercise: the algorithm asked for, the scale, row order, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.checks import CheckFailed

TOP_N = 10

# test_matches_user_based_cosine_knn compares the candidate's predictions with surprise's own user-based cosine
# KNNWithMeans, fitted here on the same rows.  The reference solution matches it exactly (0 difference on
# seeds 0-19, CALIBRATION.md).  Other choices are far off on every seed 1-19 (the largest difference per
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
# test_top_n_agrees_with_predictions: top_n's estimates are predict_rating's (the reference: identical).
AGREEMENT_TOLERANCE = 1e-9


def reference_algorithm(rows, rating_scale):
    """surprise's KNNWithMeans, user-based with cosine similarity and default k, fitted on every row."""
    from surprise import Dataset, KNNWithMeans, Reader

    data = Dataset.load_from_df(pd.DataFrame(rows, columns=["user", "item", "rating"]),
                                Reader(rating_scale=tuple(rating_scale)))
    options = {"name": "cosine", "user_based": True}
    return KNNWithMeans(k=40, min_k=1, sim_options=options, verbose=False).fit(data.build_full_trainset())


@pytest.mark.points(3)
def test_matches_user_based_cosine_knn(held_out_predictions, probe_predictions, ratings, measure):
    """Predictions match surprise's user-based KNNWithMeans with cosine similarity on the same ratings."""
    reference = reference_algorithm(ratings.rows, ratings.rating_scale)
    pairs = list(ratings.held_out) + [(user, item) for user in probe_predictions for item in ratings.items]
    found = np.concatenate([held_out_predictions] + [probe_predictions[user] for user in probe_predictions])
    expected = np.array([reference.predict(user, item).est for user, item in pairs])
    difference = np.where(np.isfinite(found), np.abs(found - expected), np.inf)
    measure("max_abs_difference_in_1e-9", float(difference.max()) * 1e9)
    wrong = difference > REFERENCE_TOLERANCE
    if wrong.any():
        worst = int(np.argmax(difference))
        user, item = pairs[worst]
        raise CheckFailed(
            f"predict_rating differs from a user-based KNNWithMeans with cosine similarity (k=40, min_k=1, fitted on "
            f"the full trainset, estimates clipped to the scale) at {int(wrong.sum())} of {len(pairs)} pairs; worst: "
            f"predict_rating(algorithm, {user!r}, {item!r}) = {found[worst]:.6g}, expected {expected[worst]:.6g}. "
            "Look at train_knn: the algorithm class (KNNWithMeans), sim_options (name 'cosine', user_based True), "
            "surprise's default k and min_k, and fitting on build_full_trainset(); and at predict_rating's clipping.")


@pytest.mark.points(2)
def test_predictions_follow_rating_scale(train, predict, probe_predictions, ratings, measure):
    """With every rating and the scale doubled, every prediction doubles."""
    low, high = ratings.rating_scale
    doubled_scale = (2 * low, 2 * high)
    doubled = train([(user, item, 2 * rating) for user, item, rating in ratings.rows], doubled_scale)
    worst = 0.0
    for user, values in probe_predictions.items():
        for item, value in zip(ratings.items, values):
            found = predict(doubled, user, item)
            error = abs(found - 2 * value) if np.isfinite(found) and np.isfinite(value) else np.inf
            worst = max(worst, error)
            if error > SCALE_TOLERANCE:
                raise CheckFailed(
                    f"trained on the same ratings doubled, with rating_scale={doubled_scale}, "
                    f"predict_rating(algorithm, {user!r}, {item!r}) is {found:.6g}; on the original ratings (scale "
                    f"{ratings.rating_scale}) it is {value:.6g}, so it should now be {2 * value:.6g}. Look at how "
                    "build_dataset passes rating_scale to the Reader (predictions are clipped to that scale), and "
                    "at the similarity in train_knn.")
    measure("max_abs_difference_in_1e-9", worst * 1e9)


@pytest.mark.points(1)
def test_same_ratings_shuffled_same_model(train, predict, recommend, held_out_predictions, ratings, algorithm, rng,
                                          measure):
    """Training again on the same ratings in another order gives the same predictions and recommendations."""
    shuffled = [ratings.rows[index] for index in rng.permutation(len(ratings.rows))]
    again = train(shuffled, ratings.rating_scale)
    asked = list(zip(ratings.held_out, held_out_predictions))[:100]
    again_predictions = np.array([predict(again, user, item) for (user, item), _ in asked])
    first_predictions = np.array([first for _, first in asked])
    errors = np.abs(again_predictions - first_predictions)
    errors[~np.isfinite(errors)] = np.inf
    measure("max_abs_difference_in_1e-9", float(errors.max(initial=0.0)) * 1e9)
    if errors.size and errors.max() > ORDER_TOLERANCE:
        worst = int(np.argmax(errors))
        (user, item), first = asked[worst]
        raise CheckFailed(
            f"trained on the same ratings in another order, predict_rating(algorithm, {user!r}, {item!r}) is "
            f"{again_predictions[worst]:.6g} instead of {first:.6g} ({int((errors > ORDER_TOLERANCE).sum())} of "
            f"{len(asked)} predictions changed). Look at train_knn: fit on every rating (build_full_trainset), with "
            "nothing random; the order of the rows should not matter.")
    for user in ratings.probe_users()[:3]:
        first, second = recommend(algorithm, user, TOP_N), recommend(again, user, TOP_N)
        estimates = [estimate for _, estimate in first], [estimate for _, estimate in second]
        if len(first) != len(second) or np.max(np.abs(np.subtract(*estimates)), initial=0.0) > ORDER_TOLERANCE:
            raise CheckFailed(
                f"trained on the same ratings in another order, top_n(algorithm, ratings, {user!r}, n={TOP_N}) "
                f"gives {[(item, round(value, 4)) for item, value in second]} instead of "
                f"{[(item, round(value, 4)) for item, value in first]}. Look at train_knn and top_n: nothing in "
                "them should depend on the order of the rows.")


@pytest.mark.points(2)
def test_top_n_agrees_with_predictions(recommend, algorithm, probe_predictions, ratings):
    """top_n's estimates are predict_rating's, and no unrated item it leaves out is predicted higher."""
    for user, values in probe_predictions.items():
        predicted = dict(zip(ratings.items, values))
        what = f"top_n(algorithm, ratings, {user!r}, n={TOP_N})"
        pairs = recommend(algorithm, user, TOP_N)
        for item, estimate in pairs:
            if item in predicted and not abs(estimate - predicted[item]) <= AGREEMENT_TOLERANCE:
                raise CheckFailed(f"{what} gives {item!r} the estimate {estimate:.6g}, but predict_rating(algorithm, "
                                  f"{user!r}, {item!r}) is {predicted[item]:.6g}. Look at top_n: rank the items by "
                                  "the same predictions predict_rating returns.")
        if not pairs:
            continue
        listed = {item for item, _ in pairs}
        lowest = min(estimate for _, estimate in pairs)
        left_out = [item for item in ratings.unrated(user) if item not in listed]
        if left_out:
            best = max(left_out, key=lambda item: predicted[item])
            if predicted[best] > lowest + AGREEMENT_TOLERANCE:
                raise CheckFailed(
                    f"{what} leaves out {best!r}, which {user!r} has not rated and whose predicted rating is "
                    f"{predicted[best]:.4f}, but lists an item with estimate {lowest:.4f}: the n unrated items with "
                    "the highest predictions should be returned. Look at top_n: predict every unrated item, sort all "
                    "of them (highest first), then keep n.")
