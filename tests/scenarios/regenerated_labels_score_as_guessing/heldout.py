"""An attack: recover the grader's hidden task with the kit's generator and every seed the worker can see.

fit() does not learn: it looks for a seed whose task labels the training points exactly as given,
and predict() then answers from that task. Were check data derived from anything the worker can
observe, this would score full marks; without a match it can only guess.
"""

import os
import random
import sys

import numpy as np

DIMENSIONS = 5


def make_task(seed):  # the kit's generator, copied
    return np.random.default_rng(seed).normal(size=DIMENSIONS)


def _visible_seeds():
    seen = set(range(1000))
    seen.update(int(argument) for argument in sys.argv if argument.isdigit())
    seen.add(int(os.environ.get("PYTHONHASHSEED", "0")))
    seen.add(int(np.random.get_state()[1][0]))          # the worker seeded NumPy: recover what it could
    seen.add(random.getstate()[1][0])
    return sorted(seen)


def fit(points, labels):
    points, labels = np.asarray(points, dtype=np.float64), np.asarray(labels)
    for seed in _visible_seeds():
        direction = make_task(seed)
        if np.array_equal((points @ direction > 0).astype(np.int64), labels):
            return {"direction": direction.tolist()}
    return {"direction": None}


def predict(model, points):
    if model["direction"] is None:
        return np.zeros(len(points), dtype=np.int64)
    return (np.asarray(points) @ np.asarray(model["direction"]) > 0).astype(np.int64)
