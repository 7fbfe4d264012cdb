"""Make the worker's numerical libraries repeatable before the candidate's module is imported.

Threads are fixed (the same count on every machine, whatever its cores), Python,
NumPy and Keras are seeded from the worker's seed before each call, and
TensorFlow, when the exercise preloads it, runs deterministic ops.  The same
submission and secret then give the same numbers on any machine and under any
load.
"""

from __future__ import annotations

import importlib
import random
import sys


def preload(modules: list[str], *, threads: int) -> list[str]:
    """Import the heavy libraries an exercise declares, and pin TensorFlow's threads and determinism."""
    notes = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as error:  # a missing optional library: the candidate's import will say so again
            notes.append(f"could not preload {name}: {type(error).__name__}: {error}")
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None:
        try:
            tensorflow.config.threading.set_intra_op_parallelism_threads(threads)
            tensorflow.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass  # already initialised; the environment variables set the same counts
        tensorflow.config.experimental.enable_op_determinism()
    return notes


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and (when already imported) Keras, so that a run repeats."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % (2**32))
    keras = sys.modules.get("keras")
    if keras is not None:
        try:
            keras.utils.set_random_seed(seed)
        except Exception:
            pass
