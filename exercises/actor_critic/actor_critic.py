"""An advantage actor-critic (A2C) agent in Keras 3 / TensorFlow (seed question 14).

The *actor* maps a state to action probabilities (the policy); the *critic* maps
a state to its value V(s).  From a batch of transitions (s, a, r, s', done):

    TD target   y = r + gamma * V(s') * (1 - done)
    advantage   A = y - V(s)
    actor loss  = -mean(log pi(a | s) * A) - entropy_coefficient * mean(entropy of pi(. | s))
    critic loss = mean((y - V(s)) ** 2)

The TD target and the advantage are *constants* for the gradients (``tf.stop_gradient``):
the actor follows the advantage without changing it, and the critic moves V(s) towards
a fixed target.

    env = Corridor(length=5, slip=0.05, max_steps=15, seed=0)
    actor, critic, returns = train(env, num_episodes=40, seed=0)

A small environment comes with the exercise (it is given, not to be written): a ``Corridor``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

# -- given: the environment and the optimizers ----------------------------------------------------

class Corridor:
    """A corridor of cells ``0 .. length - 1``: start in a random cell, reach the last cell.

    Action 0 moves left, action 1 moves right; with probability ``slip`` the move goes the other
    way.  Walking into the left wall stays in cell 0.  Reaching the last cell pays 1 and ends the
    episode; every other step pays 0.  The episode also ends after ``max_steps`` steps.  A state
    is the one-hot code of the cell, a float32 vector of ``length`` numbers.
    """

    def __init__(self, length: int = 5, slip: float = 0.05, max_steps: int = 15, seed: int = 0):
        self.length = int(length)
        self.slip = float(slip)
        self.max_steps = int(max_steps)
        self.state_dim = self.length
        self.num_actions = 2
        self._rng = np.random.default_rng(seed)
        self._cell = 0
        self._steps = 0

    def _state(self) -> np.ndarray:
        state = np.zeros(self.length, dtype=np.float32)
        state[self._cell] = 1.0
        return state

    def reset(self) -> np.ndarray:
        """Start an episode in a random cell other than the last; return the state."""
        self._cell, self._steps = int(self._rng.integers(self.length - 1)), 0
        return self._state()

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        """Move; return ``(next_state, reward, done)``."""
        move = 1 if action == 1 else -1
        if self._rng.random() < self.slip:
            move = -move
        self._cell = min(max(self._cell + move, 0), self.length - 1)
        self._steps += 1
        reached = self._cell == self.length - 1
        return self._state(), float(reached), reached or self._steps >= self.max_steps


def make_optimizer(learning_rate: float, kind: str = "adam") -> keras.optimizers.Optimizer:
    """Return a Keras optimizer: ``"adam"`` or ``"sgd"`` (plain gradient descent)."""
    if kind == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate)
    return keras.optimizers.Adam(learning_rate=learning_rate)


# -- what the candidate writes --------------------------------------------------------------------

def td_target(rewards, next_values, dones, gamma: float):
    """Return the one-step TD target ``rewards + gamma * next_values * (1 - dones)``.

    All three arrays (NumPy arrays or tensors) have shape ``(batch,)``; ``dones`` is 1 where the
    episode ended at that step, which cuts the bootstrap from ``next_values``.
    """
    # TODO: bootstrap from the next state's value unless the episode ended
    raise NotImplementedError("Bootstrap from the next state's value unless the episode ended")


def advantage(rewards, values, next_values, dones, gamma: float):
    """Return the one-step advantage: the TD target minus ``values`` (the critic's V(s)), shape ``(batch,)``."""
    # TODO: how much better the step went than the critic expected
    raise NotImplementedError('How much better the step went than the critic expected')


def build_actor(state_dim: int, num_actions: int) -> keras.Model:
    """Return the policy network: states ``(batch, state_dim)`` to action probabilities ``(batch, num_actions)``.

    A small multilayer perceptron (``Dense`` layers) ending in a softmax, so that each row sums to 1.
    """
    # TODO: a hidden Dense layer, then a Dense softmax over the actions
    raise NotImplementedError('A hidden Dense layer, then a Dense softmax over the actions')


def build_critic(state_dim: int) -> keras.Model:
    """Return the value network: states ``(batch, state_dim)`` to values ``(batch, 1)``, with a linear output."""
    # TODO: a hidden Dense layer, then one linear output unit
    raise NotImplementedError('A hidden Dense layer, then one linear output unit')


def train_step(actor: keras.Model, critic: keras.Model, actor_optimizer, critic_optimizer, states, actions,
               rewards, next_states, dones, gamma: float, entropy_coefficient: float) -> tuple[float, float, float]:
    """Make one actor-critic update on a batch of transitions; return ``(actor_loss, critic_loss, entropy)``.

    ``states`` and ``next_states`` have shape ``(batch, state_dim)``; ``actions`` (ints), ``rewards`` and
    ``dones`` have shape ``(batch,)``.  With ``y = td_target(rewards, V(next_states), dones, gamma)`` and
    ``A = advantage(...) = y - V(states)``, both held constant (no gradient flows through them):

    - ``actor_loss = -mean(log pi(actions | states) * A) - entropy_coefficient * entropy``
    - ``critic_loss = mean((y - V(states)) ** 2)``
    - ``entropy`` = the mean over the batch of ``-sum_a pi(a | s) log pi(a | s)``

    The actor's weights change only through ``actor_optimizer``, the critic's only through
    ``critic_optimizer``; the three numbers are those of the batch *before* the update, as floats.
    """
    # TODO: one tape; detach the target and the advantage; each network gets its own gradients
    raise NotImplementedError('One tape; detach the target and the advantage; each network gets its own gradients')


def train(env, num_episodes: int = 40, gamma: float = 0.9, actor_learning_rate: float = 0.03,
          critic_learning_rate: float = 0.05, entropy_coefficient: float = 0.01,
          seed: int = 0) -> tuple[keras.Model, keras.Model, list[float]]:
    """Train an actor and a critic on ``env`` for ``num_episodes`` episodes; return ``(actor, critic, returns)``.

    ``env`` has ``state_dim``, ``num_actions``, ``reset() -> state`` and ``step(action) -> (next_state,
    reward, done)``.  Build both networks, give each an Adam optimizer (``make_optimizer``) with its own
    learning rate, and for each episode: sample every action from the actor's probabilities (with one
    ``np.random.default_rng(seed)`` for the whole training), then make one ``train_step`` on the episode's
    transitions with ``gamma`` and ``entropy_coefficient``.  ``returns`` holds each episode's total reward (the
    sum of its rewards).  All randomness comes from ``seed`` (also ``keras.utils.set_random_seed(seed)`` before
    building the networks), so that the same arguments give the same networks.
    """
    # TODO: play an episode sampling from the actor, then one train_step on its transitions
    raise NotImplementedError('Play an episode sampling from the actor, then one train_step on its transitions')
