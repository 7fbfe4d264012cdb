"""The source and target tasks of the transfer_learning checks, and the grader's own "pretrained" base.

A *world* is drawn from the run's secret.  Each example has a hidden point
``z`` in 4 dimensions (standard normal); what the model sees is a 32-number
vector: ``z`` passed through a fixed random tanh layer, plus a large random
"nuisance" signal (4 directions of standard deviation 2 that say nothing about
the class) and noise of standard deviation 0.3.

- The **source task** has 8 classes: the nearest of 8 random unit directions
  to ``z`` (the largest ``z . p``).  The grader trains the base on 3,000
  source examples, in NumPy, then ships it to the candidate's code as a Keras
  ``Sequential`` (its ``to_json()`` text and its ``get_weights()`` arrays).
- The **target task** has 4 classes, each the union of 2 source classes (a
  coarser labelling of the same world): the candidate gets only 40 labelled
  examples of it.  The base has learnt to ignore the nuisance signal and to
  find ``z``'s direction; a network trained from scratch on 40 examples cannot
  (the grader trains one, in NumPy, as the baseline to beat).

The base is ``Dense(32, relu)``, ``BatchNormalization``, ``Dense(32, relu)``,
``BatchNormalization``, ``Dense(16, relu)``.  Its normalization layers use the
statistics of the source data at initialisation as moving mean and variance,
fixed during pre-training, so that a normalization layer that runs in
training mode on the target data visibly changes what they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LATENT_DIM = 4
INPUT_DIM = 32
RENDER_UNITS = 48
NUISANCE_DIM = 4
NUISANCE_STD = 2.0
NOISE_STD = 0.3
SOURCE_CLASSES = 8
TARGET_CLASSES = 4  # each the union of SOURCE_CLASSES // TARGET_CLASSES source classes
SOURCE_EXAMPLES = 3000
PRETRAIN_STEPS = 400  # mini-batches of 64: about 9 passes over the source data, ~0.2 s of NumPy
PRETRAIN_BATCH = 64
PRETRAIN_LEARNING_RATE = 1e-2
SCRATCH_STEPS = 150  # full-batch Adam steps of the from-scratch baseline on the 40 target examples
SCRATCH_LEARNING_RATE = 1e-2
NORMALIZATION_EPSILON = 1e-3  # Keras's default
VARIANCE_FLOOR = 0.05  # keeps a unit that is rarely active from being scaled up enormously

BASE_NAME = "pretrained_base"
BASE_LAYERS = (
    ("pretrained_dense_1", 32),
    ("pretrained_norm_1", None),
    ("pretrained_dense_2", 32),
    ("pretrained_norm_2", None),
    ("pretrained_features", 16),
)

# The grading run: 40 target examples sent to the worker, 1,000 held out; the main run and the step run.
TARGET_EXAMPLES = 40
TEST_EXAMPLES = 1000
# Keras's fit costs ~0.7 CPU s to trace plus ~35 ms per epoch here: few epochs, each of 2 mini-batches of 32.
HEAD_TRAINING = {"epochs": 10, "learning_rate": 0.05}  # 20 Adam steps
FINE_TUNING = {"num_layers": 3, "epochs": 5, "learning_rate": 0.001}  # 10 steps; a BatchNormalization among the 3
STEP_EXAMPLES = 24  # one mini-batch of 32 or fewer: one optimizer step per epoch
STEP_FINE_TUNING_LAYERS = 1  # not FINE_TUNING's 3, so that a fine_tune that ignores num_layers shows
HEAD_STEP_RATES = (3e-3, 2e-2)  # drawn log-uniformly; not near HEAD_TRAINING's 0.05 or Adam's default 0.001
FINE_TUNE_STEP_RATES = (2e-4, 6e-4)
TRAIN_DEADLINE_SECONDS = 60

OTHER_INPUT_DIM = 20  # the second, untrained base of the hidden check: other sizes, other names
OTHER_BASE_NAME = "other_base"
OTHER_BASE_LAYERS = (("other_dense", 24), ("other_norm", None), ("other_features", 12))


def call_text(function: str, **arguments: object) -> str:
    """How a call of the candidate's function reads in a message: ``train_head(model, x, y, epochs=10, ...)``."""
    return f"{function}(model, x, y, " + ", ".join(f"{name}={value:g}" for name, value in arguments.items()) + ")"


@dataclass(frozen=True)
class World:
    """The hidden structure behind both tasks (never sent to the worker)."""

    render_weights: np.ndarray  # (LATENT_DIM, RENDER_UNITS)
    render_bias: np.ndarray  # (RENDER_UNITS,)
    render_output: np.ndarray  # (RENDER_UNITS, INPUT_DIM)
    nuisance: np.ndarray  # (NUISANCE_DIM, INPUT_DIM)
    directions: np.ndarray  # (SOURCE_CLASSES, LATENT_DIM), unit vectors
    groups: np.ndarray  # (SOURCE_CLASSES,): the target class of each source class

    def sample(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``count`` inputs (float32), their source labels and their target labels (int64)."""
        latent = rng.standard_normal((count, LATENT_DIM))
        hidden = np.tanh(latent @ self.render_weights + self.render_bias) @ self.render_output
        inputs = (
            hidden
            + NUISANCE_STD * rng.standard_normal((count, NUISANCE_DIM)) @ self.nuisance
            + rng.normal(0.0, NOISE_STD, (count, INPUT_DIM))
        )
        source = np.argmax(latent @ self.directions.T, axis=1)
        return inputs.astype(np.float32), source.astype(np.int64), self.groups[source].astype(np.int64)


def make_world(rng: np.random.Generator) -> World:
    """Draw a world: the renderer, the nuisance directions, the class directions and the grouping."""
    directions = rng.standard_normal((SOURCE_CLASSES, LATENT_DIM))
    return World(
        render_weights=rng.normal(0.0, 1.5, (LATENT_DIM, RENDER_UNITS)),
        render_bias=rng.normal(0.0, 0.5, RENDER_UNITS),
        render_output=rng.normal(0.0, 1.0 / np.sqrt(RENDER_UNITS), (RENDER_UNITS, INPUT_DIM)),
        nuisance=rng.normal(0.0, 1.0 / np.sqrt(NUISANCE_DIM), (NUISANCE_DIM, INPUT_DIM)),
        directions=directions / np.linalg.norm(directions, axis=1, keepdims=True),
        groups=rng.permutation(np.arange(SOURCE_CLASSES) % TARGET_CLASSES),
    )


class _Dense:
    """A Dense layer (ReLU or linear) with its gradient, in float64."""

    def __init__(self, rng: np.random.Generator, inputs: int, units: int, relu: bool):
        limit = np.sqrt(6.0 / (inputs + units))  # Keras's GlorotUniform
        self.params = [rng.uniform(-limit, limit, (inputs, units)), np.zeros(units)]
        self.relu = relu

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inputs, self.outputs = x, x @ self.params[0] + self.params[1]
        return np.maximum(self.outputs, 0.0) if self.relu else self.outputs

    def backward(self, gradient: np.ndarray) -> np.ndarray:
        if self.relu:
            gradient = gradient * (self.outputs > 0)
        self.gradients = [self.inputs.T @ gradient, gradient.sum(axis=0)]
        return gradient @ self.params[0].T


class _Normalization:
    """Batch normalization in inference mode, with the moving statistics of the data it first sees."""

    def __init__(self, x: np.ndarray):
        self.mean, self.variance = x.mean(axis=0), x.var(axis=0) + VARIANCE_FLOOR
        self.params = [np.ones(x.shape[1]), np.zeros(x.shape[1])]  # gamma, beta

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.normalized = (x - self.mean) / np.sqrt(self.variance + NORMALIZATION_EPSILON)
        return self.normalized * self.params[0] + self.params[1]

    def backward(self, gradient: np.ndarray) -> np.ndarray:
        self.gradients = [(gradient * self.normalized).sum(axis=0), gradient.sum(axis=0)]
        return gradient * self.params[0] / np.sqrt(self.variance + NORMALIZATION_EPSILON)


def _network(rng: np.random.Generator, x: np.ndarray, classes: int) -> list:
    """The base's architecture plus a linear head, initialised on ``x`` (normalization statistics)."""
    network, width, h = [], x.shape[1], x
    for _name, units in BASE_LAYERS:
        layer = _Dense(rng, width, units, relu=True) if units else _Normalization(h)
        width = units or width
        h = layer.forward(h)
        network.append(layer)
    return network + [_Dense(rng, width, classes, relu=False)]


def _forward(network: list, x: np.ndarray) -> np.ndarray:
    for layer in network:
        x = layer.forward(x)
    return x


def _train(
    network: list,
    x: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    *,
    steps: int,
    batch_size: int,
    learning_rate: float,
) -> None:
    """Minimise the softmax cross-entropy with Adam (Keras's defaults), in place."""
    moments = [[np.zeros_like(p), np.zeros_like(p)] for layer in network for p in layer.params]
    for step in range(1, steps + 1):
        rows = rng.choice(len(x), batch_size, replace=False) if batch_size < len(x) else np.arange(len(x))
        logits = _forward(network, x[rows])
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(rows)), labels[rows]] -= 1.0
        gradient = probabilities / len(rows)
        for layer in reversed(network):
            gradient = layer.backward(gradient)
        pairs = [(layer, index) for layer in network for index in range(len(layer.params))]
        for (layer, index), moment in zip(pairs, moments):
            g = layer.gradients[index]
            moment[0] = 0.9 * moment[0] + 0.1 * g
            moment[1] = 0.999 * moment[1] + 0.001 * g * g
            step_size = learning_rate * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
            layer.params[index] = layer.params[index] - step_size * moment[0] / (np.sqrt(moment[1]) + 1e-7)


def pretrain(world: World, rng: np.random.Generator) -> list:
    """Train the base and a source head on the source task; return the base's layers (NumPy)."""
    x, source, _ = world.sample(rng, SOURCE_EXAMPLES)
    network = _network(rng, x.astype(np.float64), SOURCE_CLASSES)
    _train(
        network,
        x.astype(np.float64),
        source,
        rng,
        steps=PRETRAIN_STEPS,
        batch_size=PRETRAIN_BATCH,
        learning_rate=PRETRAIN_LEARNING_RATE,
    )
    return network[:-1]


def scratch_accuracy(
    x: np.ndarray, labels: np.ndarray, test_x: np.ndarray, test_labels: np.ndarray, rng: np.random.Generator
) -> float:
    """Train the base's architecture with a new head from random weights on the target examples; its accuracy."""
    network = _network(rng, x.astype(np.float64), TARGET_CLASSES)
    _train(
        network,
        x.astype(np.float64),
        labels,
        rng,
        steps=SCRATCH_STEPS,
        batch_size=len(x),
        learning_rate=SCRATCH_LEARNING_RATE,
    )
    return float(np.mean(np.argmax(_forward(network, test_x.astype(np.float64)), axis=1) == test_labels))


@dataclass(frozen=True)
class ShippedBase:
    """A base as the candidate's code receives it, and what the grader knows of its layers."""

    json: str
    weights: list[np.ndarray]  # get_weights() order, float32
    layer_weights: dict[str, list[np.ndarray]]  # per layer name, in the base's layer order
    normalization: frozenset[str]  # the names of its BatchNormalization layers

    @property
    def layer_names(self) -> list[str]:
        return list(self.layer_weights)

    @property
    def parameters(self) -> int:
        return int(sum(weight.size for weight in self.weights))


def _ship(input_dim: int, name: str, specs: tuple, weights: list[list[np.ndarray]]) -> ShippedBase:
    """Build the Keras Sequential of ``specs`` with ``weights`` (per layer) and describe it."""
    import keras

    built = [
        keras.layers.Dense(units, activation="relu", name=layer_name)
        if units
        else keras.layers.BatchNormalization(epsilon=NORMALIZATION_EPSILON, name=layer_name)
        for layer_name, units in specs
    ]
    model = keras.Sequential([keras.Input((input_dim,)), *built], name=name)
    for layer, arrays in zip(model.layers, weights):
        layer.set_weights([np.asarray(array, dtype=np.float32) for array in arrays])
    per_layer = {layer.name: [np.asarray(array) for array in layer.get_weights()] for layer in model.layers}
    normalization = frozenset(layer_name for layer_name, units in specs if not units)
    return ShippedBase(model.to_json(), [np.asarray(array) for array in model.get_weights()], per_layer, normalization)


def ship_pretrained(layers: list) -> ShippedBase:
    """The pretrained NumPy base as a Keras Sequential named ``pretrained_base``."""
    weights = [
        layer.params if isinstance(layer, _Dense) else layer.params + [layer.mean, layer.variance] for layer in layers
    ]
    return _ship(INPUT_DIM, BASE_NAME, BASE_LAYERS, weights)


def ship_other(rng: np.random.Generator) -> ShippedBase:
    """An untrained base of another shape, with random weights and moving statistics, for the hidden check."""
    weights, width = [], OTHER_INPUT_DIM
    for _, units in OTHER_BASE_LAYERS:
        if units:
            weights.append([rng.normal(0.0, 1.0 / np.sqrt(width), (width, units)), rng.normal(0.0, 0.1, units)])
            width = units
        else:
            weights.append(
                [
                    rng.uniform(0.5, 1.5, width),
                    rng.normal(0.0, 0.2, width),
                    rng.normal(0.5, 0.2, width),
                    rng.uniform(0.5, 2.0, width),
                ]
            )
    return _ship(OTHER_INPUT_DIM, OTHER_BASE_NAME, OTHER_BASE_LAYERS, weights)
