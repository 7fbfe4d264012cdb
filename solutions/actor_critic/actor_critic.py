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
    # BEGIN SOLUTION: bootstrap from the next state's value unless the episode ended
    return rewards + gamma * next_values * (1.0 - dones)
    # END SOLUTION


def advantage(rewards, values, next_values, dones, gamma: float):
    """Return the one-step advantage: the TD target minus ``values`` (the critic's V(s)), shape ``(batch,)``."""
    # BEGIN SOLUTION: how much better the step went than the critic expected
    return td_target(rewards, next_values, dones, gamma) - values
    # END SOLUTION


def build_actor(state_dim: int, num_actions: int) -> keras.Model:
    """Return the policy network: states ``(batch, state_dim)`` to action probabilities ``(batch, num_actions)``.

    A small multilayer perceptron (``Dense`` layers) ending in a softmax, so that each row sums to 1.
    """
    # BEGIN SOLUTION: a hidden Dense layer, then a Dense softmax over the actions
    inputs = keras.Input(shape=(state_dim,))
    hidden = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(num_actions, activation="softmax")(hidden)
    return keras.Model(inputs, outputs, name="actor")
    # END SOLUTION


def build_critic(state_dim: int) -> keras.Model:
    """Return the value network: states ``(batch, state_dim)`` to values ``(batch, 1)``, with a linear output."""
    # BEGIN SOLUTION: a hidden Dense layer, then one linear output unit
    inputs = keras.Input(shape=(state_dim,))
    hidden = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden)
    return keras.Model(inputs, outputs, name="critic")
    # END SOLUTION


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
    # BEGIN SOLUTION: one tape; detach the target and the advantage; each network gets its own gradients
    states = tf.convert_to_tensor(states, dtype=tf.float32)
    next_states = tf.convert_to_tensor(next_states, dtype=tf.float32)
    actions = tf.convert_to_tensor(actions, dtype=tf.int32)
    rewards = tf.convert_to_tensor(rewards, dtype=tf.float32)
    dones = tf.convert_to_tensor(dones, dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        probabilities = actor(states, training=True)
        values = tf.squeeze(critic(states, training=True), axis=-1)
        next_values = tf.squeeze(critic(next_states, training=True), axis=-1)
        targets = tf.stop_gradient(td_target(rewards, next_values, dones, gamma))
        advantages = tf.stop_gradient(advantage(rewards, values, next_values, dones, gamma))
        log_probabilities = tf.math.log(tf.clip_by_value(probabilities, 1e-8, 1.0))
        chosen = tf.reduce_sum(log_probabilities * tf.one_hot(actions, tf.shape(probabilities)[-1]), axis=-1)
        entropy = tf.reduce_mean(-tf.reduce_sum(probabilities * log_probabilities, axis=-1))
        actor_loss = -tf.reduce_mean(chosen * advantages) - entropy_coefficient * entropy
        critic_loss = tf.reduce_mean(tf.square(targets - values))
        # One loss for both networks, as in the question: the stop_gradients above keep each network's
        # gradient to its own part.
        total_loss = actor_loss + critic_loss
    actor_gradients = tape.gradient(total_loss, actor.trainable_variables)
    critic_gradients = tape.gradient(total_loss, critic.trainable_variables)
    del tape
    actor_optimizer.apply_gradients(zip(actor_gradients, actor.trainable_variables))
    critic_optimizer.apply_gradients(zip(critic_gradients, critic.trainable_variables))
    return float(actor_loss), float(critic_loss), float(entropy)
    # END SOLUTION


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
    # BEGIN SOLUTION: play an episode sampling from the actor, then one train_step on its transitions
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    actor = build_actor(env.state_dim, env.num_actions)
    critic = build_critic(env.state_dim)
    actor_optimizer = make_optimizer(actor_learning_rate)
    critic_optimizer = make_optimizer(critic_learning_rate)
    returns = []
    for _ in range(num_episodes):
        states, actions, rewards, next_states, dones = [], [], [], [], []
        state, done = env.reset(), False
        while not done:
            probabilities = actor(state[np.newaxis], training=False).numpy()[0].astype(np.float64)
            action = int(rng.choice(env.num_actions, p=probabilities / probabilities.sum()))
            following, reward, done = env.step(action)
            states.append(state)
            actions.append(action)
            rewards.append(reward)
            next_states.append(following)
            dones.append(float(done))
            state = following
        train_step(actor, critic, actor_optimizer, critic_optimizer, np.array(states), np.array(actions),
                   np.array(rewards, dtype=np.float32), np.array(next_states), np.array(dones, dtype=np.float32),
                   gamma, entropy_coefficient)
        returns.append(float(sum(rewards)))
    return actor, critic, returns
    # END SOLUTION
