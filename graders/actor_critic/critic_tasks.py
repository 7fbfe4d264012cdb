"""The actor_critic grader's corridor, how the candidate's answers are read, and the grader's own train_step.

The networks stay in the worker.  The grader reads them only through ``verify_keras_model``: it rebuilds each
network here from its exported architecture and weights and proves the rebuild computes what the candidate's
network does on secret inputs; weights, outputs and gradients then come from the trusted rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from _shared.corridor import CorridorModel, draw_corridor

from harness.checks import (
    VerifiedModel,
    expect_finite,
    expect_numbers,
    expect_probabilities,
    expect_shape,
    expect_type,
    verify_keras_model,
)

TRAIN_DEADLINE_SECONDS = 60  # CPU seconds of one training; the reference needs about 4 s

GAMMA = 0.9
# The corridor train() learns in: +1 for reaching the last cell, episodes start in a random cell but the last;
# a policy is judged by its expected return discounted with the training's gamma.
CORRIDOR = {
    "lengths": (5, 8),
    "slips": (0.0, 0.1),
    "steps_per_cell": 3,
    "step_reward": 0.0,
    "goal_reward": 1.0,
    "gamma": GAMMA,
    "random_start": True,
}
# Adam moves every weight by about its learning rate on each step, so a step changes a wider network's outputs
# more.  At 0.03 / 0.05 (the contract's defaults) one episode swung the values of a correct agent with two
# Dense(64, tanh) layers by 4 and saturated its policy the wrong way: it failed on 8 of 20 seeds, whatever the
# number of episodes.  At 0.01 / 0.005 and 60 episodes (measured outside the grader on 20 seeds) the reference's
# worst share is 0.87 and that agent's 0.55; at 0.005 / 0.003 the reference learned too slowly on 2 of 20.
TRAINING = {
    "num_episodes": 60,
    "gamma": GAMMA,
    "actor_learning_rate": 0.01,
    "critic_learning_rate": 0.005,
    "entropy_coefficient": 0.01,
}
TRAINING_SEEDS = (1, 2)  # the worker's seed plus these: (environment, training)
LOG_FLOOR = 1e-8  # the grader clips pi at 1e-8 before the log; its batches keep pi far above it


@dataclass(frozen=True)
class CorridorTask:
    """The run's corridor, with the seeds its environment and its training get."""

    model: CorridorModel
    env_seed: int
    train_seed: int


def corridor_task(rng: np.random.Generator, worker_seed: int) -> CorridorTask:
    return CorridorTask(
        draw_corridor(rng, **CORRIDOR), worker_seed + TRAINING_SEEDS[0], worker_seed + TRAINING_SEEDS[1]
    )


def read_probabilities(value, *, rows: int, actions: int, what: str) -> np.ndarray:
    """Read an actor's output as a (rows, actions) float64 array of probabilities, or fail."""
    array = expect_shape(
        value, (rows, actions), what=what, hint="the actor's last layer: Dense(num_actions) with a softmax"
    )
    return expect_probabilities(array, what=what, hint="the softmax activation of the actor's last layer").astype(
        np.float64
    )


def read_values(value, *, rows: int, what: str) -> np.ndarray:
    """Read a critic's output, shape (rows, 1), as a float64 vector of length ``rows``, or fail."""
    array = expect_shape(value, (rows, 1), what=what, hint="the critic's last layer: Dense(1), linear")
    return expect_finite(array, what=what).astype(np.float64)[:, 0]


def read_step(value, *, what: str) -> tuple[float, float, float]:
    """Read ``(actor_loss, critic_loss, entropy)`` from what train_step returned, or fail."""
    numbers = expect_numbers(
        expect_type(value, (tuple, list), what=f"what {what} returns"),
        what=f"what {what} returns",
        length=3,
        hint="the return statement of train_step: (actor_loss, "
        "critic_loss, entropy) as floats, each a mean over the batch",
    )
    return numbers[0], numbers[1], numbers[2]


def entropies(probabilities: np.ndarray) -> np.ndarray:
    """The entropy of each row of ``probabilities``, in nats."""
    safe = np.clip(probabilities, 1e-12, 1.0)
    return -np.sum(probabilities * np.log(safe), axis=-1)


def verified(submission, model, *, what: str, rng: np.random.Generator, input_dim: int | None = None) -> VerifiedModel:
    """The grader's trusted rebuild of ``model``, proven on secret inputs to compute what the candidate's does.

    With ``input_dim``, the rebuild must also take states of ``input_dim`` numbers, as the grader will feed it.
    """
    rebuilt = verify_keras_model(submission, model, rng=rng, what=what)
    if input_dim is not None:
        shapes = [tuple(tensor.shape)[1:] for tensor in rebuilt.model.inputs]
        expect_shape(
            np.zeros([0 if size is None else size for size in shapes[0]] if len(shapes) == 1 else [0, 0]),
            (input_dim,),
            what=f"the states {what} takes (one input)",
            hint="the network's input: keras.Input(shape=(state_dim,))",
        )
    return rebuilt


def weights_of(submission, model, *, what: str, rng: np.random.Generator) -> list[np.ndarray]:
    """The model's weights as float64 arrays, read from its verified rebuild."""
    return verified(submission, model, what=what, rng=rng).weights()


def moves(after: list[np.ndarray], before: list[np.ndarray]) -> np.ndarray:
    """How every weight moved, flattened into one vector; one NaN when the weights changed shape."""
    if len(after) != len(before) or any(np.shape(a) != np.shape(b) for a, b in zip(after, before)):
        return np.full(1, np.nan)
    return np.concatenate([(np.asarray(a) - np.asarray(b)).ravel() for a, b in zip(after, before)])


@dataclass
class Batch:
    """A batch of transitions, as train_step takes them."""

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_states: np.ndarray
    dones: np.ndarray

    def arguments(self) -> tuple:
        return (self.states, self.actions, self.rewards, self.next_states, self.dones)


def random_batch(
    rng: np.random.Generator, size: int, state_dim: int, num_actions: int, dones: np.ndarray | None = None
) -> Batch:
    """``size`` random transitions: normal states, uniform actions, normal rewards; ``dones`` as given or 0."""
    return Batch(
        states=rng.normal(size=(size, state_dim)).astype(np.float32),
        actions=rng.integers(num_actions, size=size).astype(np.int64),
        rewards=rng.normal(size=size).astype(np.float32),
        next_states=rng.normal(size=(size, state_dim)).astype(np.float32),
        dones=np.zeros(size, dtype=np.float32) if dones is None else np.asarray(dones, dtype=np.float32),
    )


def step_call(batch: Batch, gamma: float, entropy_coefficient: float, optimizers: str = "") -> str:
    return (
        f"train_step(actor, critic, actor_optimizer, critic_optimizer, <{len(batch.actions)} transitions>, "
        f"gamma={gamma:.4g}, entropy_coefficient={entropy_coefficient:.4g}){optimizers}"
    )


def copy_weights(
    submission, source, target, *, what: str, rng: np.random.Generator, scale: float = 1.0, noise: float = 0.0
) -> None:
    """Give ``target`` the weights of ``source`` (same architecture), optionally scaled and perturbed."""
    weights = [
        scale * weight + (rng.normal(0.0, noise, size=weight.shape) if noise else 0.0)
        for weight in weights_of(submission, source, what=what, rng=rng)
    ]
    target.set_weights([weight.astype(np.float32) for weight in weights])


@dataclass
class ExpectedStep:
    """What one train_step should report and do, computed by the grader on the verified networks."""

    actor_loss: float
    critic_loss: float
    entropy: float
    actor_before: list[np.ndarray]
    critic_before: list[np.ndarray]
    actor_after: list[np.ndarray]  # after one plain SGD step on the actor loss
    critic_after: list[np.ndarray]  # after one plain SGD step on the critic loss


def _sgd_step(model, inputs: np.ndarray, output_gradients: np.ndarray, learning_rate: float) -> None:
    """Move ``model``'s weights by ``-learning_rate`` times the gradient of a loss whose gradient with respect to
    the model's outputs on ``inputs`` is ``output_gradients`` (the chain rule, backwards through the network)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        outputs = model(tf.constant(inputs), training=True)
    gradients = tape.gradient(
        outputs, model.trainable_variables, output_gradients=tf.constant(output_gradients, dtype=outputs.dtype)
    )
    for variable, gradient in zip(model.trainable_variables, gradients):
        if gradient is not None:
            variable.assign_sub(learning_rate * gradient)


def expected_step(
    actor: VerifiedModel,
    critic: VerifiedModel,
    batch: Batch,
    num_actions: int,
    gamma: float,
    entropy_coefficient: float,
    actor_learning_rate: float,
    critic_learning_rate: float,
) -> ExpectedStep:
    """The contract's losses on the rebuilt networks, and the weights one SGD step on each network's loss gives.

    The losses' derivatives with respect to the networks' outputs are worked out here by hand (the TD target and
    the advantage are constants); the rebuilt networks carry them back to their weights.
    """
    size, rows = len(batch.actions), np.arange(len(batch.actions))
    probabilities = read_probabilities(
        actor.predict(batch.states)[0],
        rows=size,
        actions=num_actions,
        what="the actor's probabilities before train_step",
    )
    values = read_values(critic.predict(batch.states)[0], rows=size, what="the critic's values before train_step")
    next_values = read_values(
        critic.predict(batch.next_states)[0], rows=size, what="the critic's values of the next states before train_step"
    )
    targets = batch.rewards + gamma * next_values * (1.0 - batch.dones)
    advantages = targets - values
    log_probabilities = np.log(np.clip(probabilities, LOG_FLOOR, 1.0))
    entropy = float(np.mean(-np.sum(probabilities * log_probabilities, axis=-1)))
    actor_loss = float(-np.mean(log_probabilities[rows, batch.actions] * advantages) - entropy_coefficient * entropy)
    critic_loss = float(np.mean((targets - values) ** 2))
    # d actor_loss / d pi: -A / (size * pi(a|s)) at the action taken, and + c * (log pi + 1) / size from the entropy.
    actor_gradient = entropy_coefficient * (log_probabilities + 1.0) / size
    actor_gradient[rows, batch.actions] -= advantages / (size * probabilities[rows, batch.actions])
    critic_gradient = (-2.0 * (targets - values) / size)[:, np.newaxis]  # d critic_loss / d V(s)
    actor_before, critic_before = actor.weights(), critic.weights()
    _sgd_step(actor.model, batch.states, actor_gradient, actor_learning_rate)
    _sgd_step(critic.model, batch.states, critic_gradient, critic_learning_rate)
    return ExpectedStep(
        actor_loss, critic_loss, entropy, actor_before, critic_before, actor.weights(), critic.weights()
    )
