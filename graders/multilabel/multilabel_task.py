"""The synthetic multi-label task of the multilabel checks, drawn from the run's secret.

An example is 16 standard normal features.  Each of its 5 labels is present
with probability ``cap_j * sigmoid(logit_j)``, independently given the
features, where a label's logit mixes a linear and a quadratic function of the
features:

    logit_j = a_j (x . u_j) + b_j ((x . v_j)^2 - |v_j|^2) + c_j

with random directions ``u_j``, ``v_j`` and scales.  The offsets ``c_j`` set
how common each label is: the first four (cap 1) are present in 25% to 50% of
the examples.  The last, the *imbalanced label*, is present in 8% of them and
is ambiguous: even where it is most likely its probability stays at its cap
of 0.45.  A well-fitted model therefore gives it probabilities below 0.5, so a
threshold of 0.5 predicts it almost never; its best F1 (about 0.45 for the
true probabilities) comes with a threshold near 0.25, which per-label tuning
on validation data finds.

Rows are not one-hot: an example has any number of labels, none included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_FEATURES = 16
NUM_LABELS = 5
RARE_LABEL = NUM_LABELS - 1
COMMON_RATES = (0.25, 0.5)  # how often each of the first four labels is present, drawn in this range
RARE_RATE = 0.08
RARE_CAP = 0.45  # the rare label's probability never exceeds this
LINEAR_SCALE = (1.5, 3.0)
QUADRATIC_SCALE = (0.5, 1.5)
RARE_LINEAR_SCALE = 4.0
CALIBRATION_EXAMPLES = 20000  # examples on which the offsets are set to reach the rates above

# The grading run: the grader trains the candidate's model on 2,000 examples (630 optimizer steps), the candidate's
# tune_thresholds picks thresholds among CANDIDATES on 2,000 validation examples, the grader scores 4,000 more.
TRAINING_EXAMPLES = 2000
VALIDATION_EXAMPLES = 2000
TEST_EXAMPLES = 4000
FIT = {"epochs": 10, "batch_size": 32}
CANDIDATES = tuple(round(0.05 * step, 2) for step in range(1, 20))  # 0.05, 0.10, ..., 0.95


@dataclass(frozen=True)
class LabelModel:
    """The true probability of each label given the features (never sent to the worker)."""

    linear: np.ndarray  # (NUM_FEATURES, NUM_LABELS), columns scaled unit directions
    quadratic: np.ndarray  # (NUM_FEATURES, NUM_LABELS)
    offsets: np.ndarray  # (NUM_LABELS,)
    caps: np.ndarray  # (NUM_LABELS,): the largest probability of each label

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.linear + ((x @ self.quadratic) ** 2 - np.sum(self.quadratic**2, axis=0)) + self.offsets

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The true probability of each label, (count, NUM_LABELS)."""
        return self.caps / (1.0 + np.exp(-self.logits(np.asarray(x, dtype=np.float64))))

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``count`` examples: features (count, 16) float32 and labels (count, 5) float32 of 0 and 1."""
        x = rng.standard_normal((count, NUM_FEATURES))
        labels = (rng.random((count, NUM_LABELS)) < self.probabilities(x)).astype(np.float32)
        return x.astype(np.float32), labels


def _directions(rng: np.random.Generator, scales: np.ndarray) -> np.ndarray:
    directions = rng.standard_normal((NUM_FEATURES, len(scales)))
    return directions / np.linalg.norm(directions, axis=0) * scales


def _offset_for_rate(scores: np.ndarray, rate: float, cap: float) -> float:
    """The offset c with mean(cap * sigmoid(scores + c)) = rate, by bisection."""
    low, high = -30.0, 30.0
    for _ in range(60):
        middle = (low + high) / 2
        if np.mean(cap / (1.0 + np.exp(-(scores + middle)))) < rate:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def make_label_model(rng: np.random.Generator) -> LabelModel:
    """Draw the directions and scales of every label, then set the offsets to reach the label rates."""
    linear_scales = np.append(rng.uniform(*LINEAR_SCALE, NUM_LABELS - 1), RARE_LINEAR_SCALE)
    quadratic_scales = np.append(np.sqrt(rng.uniform(*QUADRATIC_SCALE, NUM_LABELS - 1)), 0.0)
    rates = np.append(rng.uniform(*COMMON_RATES, NUM_LABELS - 1), RARE_RATE)
    caps = np.append(np.ones(NUM_LABELS - 1), RARE_CAP)
    unset = LabelModel(_directions(rng, linear_scales), _directions(rng, quadratic_scales), np.zeros(NUM_LABELS), caps)
    scores = unset.logits(rng.standard_normal((CALIBRATION_EXAMPLES, NUM_FEATURES)))
    offsets = np.array([_offset_for_rate(scores[:, label], rates[label], caps[label]) for label in range(NUM_LABELS)])
    return LabelModel(unset.linear, unset.quadratic, offsets, caps)
