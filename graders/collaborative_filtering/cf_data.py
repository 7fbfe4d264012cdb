"""The collaborative_filtering checks' data: the run's synthetic ratings, and readers of the candidate's answers.

The ratings come from a latent-factor model seeded with ``data_seed``, a secret the worker never
sees: knowing this generator and every seed the worker can observe does not reproduce them.  Each
user has a bias (how generously they rate), each item a bias (how good it is), and both have a few
latent factors; the true score of a (user, item) pair is ``3 + user bias + item bias + factors``, a
rating is that plus noise, rounded and clipped to the 1-5 scale, and about 30% of the pairs are
observed.  A fifth of the observed ratings is held out: the worker receives the other rows only.
The held-out ratings and the true scores stay here, and the checks judge the candidate's
predictions and recommendations against them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from harness.checks import expect_numbers, expect_scalar, expect_type

RATING_SCALE = (1, 5)
USERS = (60, 121)  # drawn from [60, 121)
ITEMS = (40, 81)  # drawn from [40, 81)
FACTORS = (2, 4)  # latent rank, drawn from [2, 4)
USER_BIAS_SD = 1.0  # generous and harsh raters: user means spread over most of the scale
ITEM_BIAS_SD = 0.5
FACTOR_SCALE = 0.6  # standard deviation of the latent-factor term
NOISE_SD = 0.4
OBSERVED = 0.3  # share of (user, item) pairs rated
HELD_OUT = 0.2  # share of the observed ratings kept back from the worker
PROBE_USERS_EACH_END = 3  # the most generous and the harshest users, whose predictions reach the scale's ends


@dataclass
class Ratings:
    """The training rows the worker receives, plus what it never sees: held-out ratings and true scores."""

    users: list[str]
    items: list[str]
    true_scores: np.ndarray  # (users, items), before noise and rounding
    rows: list[tuple[str, str, float]]  # training ratings, in a shuffled order
    held_out: list[tuple[str, str]]  # (user, item) pairs whose rating only the grader knows
    held_out_ratings: np.ndarray
    rating_scale: tuple[int, int] = RATING_SCALE
    rated: dict[str, set[str]] = field(init=False)
    user_means: dict[str, float] = field(init=False)

    def __post_init__(self):
        self.rated = {user: set() for user in self.users}
        totals: dict[str, list[float]] = {user: [] for user in self.users}
        for user, item, rating in self.rows:
            self.rated[user].add(item)
            totals[user].append(rating)
        self.user_means = {user: float(np.mean(values)) for user, values in totals.items() if values}

    @property
    def global_mean(self) -> float:
        return float(np.mean([rating for _, _, rating in self.rows]))

    def unrated(self, user: str) -> list[str]:
        """The items ``user`` has no training rating for, in catalogue order."""
        return [item for item in self.items if item not in self.rated[user]]

    def true_score(self, user: str, item: str) -> float:
        return float(self.true_scores[self.users.index(user), self.items.index(item)])

    def probe_users(self) -> list[str]:
        """The most generous and the harshest raters: their predictions are the likeliest to leave the scale."""
        ranked = sorted(self.user_means, key=lambda user: (self.user_means[user], user))
        return ranked[-PROBE_USERS_EACH_END:][::-1] + ranked[:PROBE_USERS_EACH_END]


def make_ratings(seed: int) -> Ratings:
    """Generate the run's ratings from ``seed``."""
    rng = np.random.default_rng([seed, 26])
    user_count, item_count = int(rng.integers(*USERS)), int(rng.integers(*ITEMS))
    rank = int(rng.integers(*FACTORS))
    users = [f"user_{number:03d}" for number in range(user_count)]
    items = [f"item_{number:03d}" for number in range(item_count)]
    user_factors = rng.normal(size=(user_count, rank))
    item_factors = rng.normal(size=(item_count, rank))
    true_scores = (
        3.0
        + rng.normal(0, USER_BIAS_SD, (user_count, 1))
        + rng.normal(0, ITEM_BIAS_SD, (1, item_count))
        + FACTOR_SCALE * user_factors @ item_factors.T / math.sqrt(rank)
    )
    ratings = np.clip(np.rint(true_scores + rng.normal(0, NOISE_SD, true_scores.shape)), *RATING_SCALE)
    observed = np.argwhere(rng.random(true_scores.shape) < OBSERVED)
    held = rng.random(len(observed)) < HELD_OUT
    training = observed[~held][rng.permutation(int((~held).sum()))]
    known_users, known_items = set(training[:, 0].tolist()), set(training[:, 1].tolist())
    held_out = [(u, i) for u, i in observed[held].tolist() if u in known_users and i in known_items]
    return Ratings(
        users=[users[u] for u in sorted(known_users)],
        items=[items[i] for i in sorted(known_items)],
        true_scores=true_scores[np.ix_(sorted(known_users), sorted(known_items))],
        rows=[(users[u], items[i], float(ratings[u, i])) for u, i in training.tolist()],
        held_out=[(users[u], items[i]) for u, i in held_out],
        held_out_ratings=np.array([ratings[u, i] for u, i in held_out], dtype=np.float64),
    )


def unknown_name(rng: np.random.Generator, kind: str) -> str:
    """An id that is not in the ratings (theirs have three digits)."""
    return f"{kind}_{int(rng.integers(10_000, 100_000))}"


def read_rating(value, *, what: str) -> float:
    """Read predict_rating's answer as a finite float, or fail saying what came back instead."""
    return expect_scalar(
        value,
        what=what,
        hint="predict_rating: return the estimate of the Prediction (its .est), a float, not the Prediction",
    )


def read_recommendations(value, *, what: str) -> list[tuple[str, float]]:
    """Read top_n's answer as (item, estimate) pairs, or fail saying what came back instead."""
    hint = "what top_n returns: a list of (item, predicted rating) tuples, best first"
    pairs = expect_type(value, (list, tuple), what=what, hint=hint)
    items = []
    for position, pair in enumerate(pairs):
        expect_type(pair, (list, tuple), what=f"{what}[{position}]", hint=hint)
        expect_numbers(
            list(pair)[1:], length=1, what=f"{what}[{position}] after its item (one predicted rating)", hint=hint
        )
        items.append(expect_type(pair[0], str, what=f"the item in {what}[{position}]", hint=hint))
    estimates = expect_numbers([pair[1] for pair in pairs], what=f"the estimates in {what}", hint=hint)
    return list(zip(items, estimates))
