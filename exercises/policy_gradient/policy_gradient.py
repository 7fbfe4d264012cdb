"""REINFORCE with a linear softmax policy, in NumPy (seed question 5).

A policy picks action ``a`` in a state with features ``phi`` (a vector of
``num_features`` numbers) with probability ``softmax(phi @ theta)[a]``, where
``theta`` has shape ``(num_features, num_actions)``.  REINFORCE improves
``theta`` by gradient *ascent* on the expected return:

    theta <- theta + learning_rate * mean over episodes of sum_t (G_t - b) * grad log pi(a_t | s_t)

    env = Corridor(length=5, slip=0.1, max_steps=15, seed=0)
    theta, average_rewards = train(env, num_iterations=60, episodes_per_iteration=10,
                                   gamma=0.99, learning_rate=0.02)

Two small environments come with the exercise (they are given, not to be
written): a multi-armed ``Bandit`` and a ``Corridor``.
"""

from __future__ import annotations

import numpy as np

# -- the environments (given) -------------------------------------------------------------------

class Bandit:
    """A multi-armed bandit: every episode is one step; arm ``a`` pays 1 with probability ``means[a]``, else 0.

    The state never changes: its features are the single number 1.0, so ``theta`` has shape
    ``(1, number of arms)``.
    """

    def __init__(self, means, seed: int = 0):
        self.means = np.asarray(means, dtype=np.float64)
        self.num_actions = len(self.means)
        self.num_features = 1
        self._rng = np.random.default_rng(seed)

    def reset(self) -> np.ndarray:
        """Start an episode; return the state's features."""
        return np.ones(1)

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        """Pull arm ``action``; return ``(features, reward, done)`` (``done`` is always True)."""
        reward = float(self._rng.random() < self.means[action])
        return np.ones(1), reward, True


class Corridor:
    """A corridor of cells ``0 .. length - 1``: start in cell 0, reach the last cell.

    Action 0 moves left, action 1 moves right; with probability ``slip`` the move goes the other
    way.  Walking into the left wall stays in cell 0.  Every step pays -1, so the return of an
    episode is minus the number of steps it took.  The episode ends on reaching the last cell, or
    after ``max_steps`` steps.  The features of a state are the one-hot code of the cell
    (``length`` numbers), so ``theta`` has shape ``(length, 2)``.
    """

    def __init__(self, length: int = 5, slip: float = 0.1, max_steps: int = 20, seed: int = 0):
        self.length = int(length)
        self.slip = float(slip)
        self.max_steps = int(max_steps)
        self.num_actions = 2
        self.num_features = self.length
        self._rng = np.random.default_rng(seed)
        self._cell = 0
        self._steps = 0

    def _features(self) -> np.ndarray:
        features = np.zeros(self.length)
        features[self._cell] = 1.0
        return features

    def reset(self) -> np.ndarray:
        """Start an episode in cell 0; return the state's features."""
        self._cell, self._steps = 0, 0
        return self._features()

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        """Move; return ``(features, reward, done)``."""
        move = 1 if action == 1 else -1
        if self._rng.random() < self.slip:
            move = -move
        self._cell = min(max(self._cell + move, 0), self.length - 1)
        self._steps += 1
        done = self._cell == self.length - 1 or self._steps >= self.max_steps
        return self._features(), -1.0, done


# -- what the candidate writes --------------------------------------------------------------------

def discounted_returns(rewards, dones, gamma: float) -> np.ndarray:
    """Return the discounted return-to-go of every step of a batch of consecutive episodes.

    ``rewards`` and ``dones`` have shape ``(T,)``; ``dones[t]`` is 1 (True) when step ``t`` is the
    last step of its episode.  ``G[t] = rewards[t] + gamma * G[t + 1]``, except that the sum stops at
    the end of an episode: where ``dones[t]`` is 1, ``G[t] = rewards[t]``.  After the last step of
    the batch, nothing more is added.  Return a float array of shape ``(T,)``.
    """
    # TODO: walk backwards through the steps, restarting the sum where an episode ends
    raise NotImplementedError('Walk backwards through the steps, restarting the sum where an episode ends')


def softmax_policy(theta, features) -> np.ndarray:
    """Return the action probabilities ``softmax(features @ theta)``.

    ``theta`` has shape ``(num_features, num_actions)``; ``features`` has shape ``(num_features,)``
    (one state: return shape ``(num_actions,)``) or ``(batch, num_features)`` (return shape
    ``(batch, num_actions)``).  The result must stay finite and exact for large preferences
    (``features @ theta`` of 1000 or more).
    """
    # TODO: preferences features @ theta, shifted by their maximum before exponentiating
    raise NotImplementedError('Preferences features @ theta, shifted by their maximum before exponentiating')


def log_softmax_gradient(theta, state_features, action: int) -> np.ndarray:
    """Return the gradient of ``log softmax_policy(theta, state_features)[action]`` with respect to ``theta``.

    ``state_features`` has shape ``(num_features,)``.  The result has the shape of ``theta``:
    ``outer(state_features, one_hot(action) - probabilities)``.
    """
    # TODO: outer product of the features with (one-hot of the action minus the probabilities)
    raise NotImplementedError('Outer product of the features with (one-hot of the action minus the probabilities)')


def reinforce_update(theta, episodes: dict, gamma: float, learning_rate: float,
                     baseline: bool = False) -> np.ndarray:
    """Return ``theta`` after one REINFORCE step of gradient ascent on a batch of whole episodes.

    ``episodes`` is a dict of arrays, the episodes laid end to end: ``"features"`` ``(T, num_features)``,
    ``"actions"`` ``(T,)`` (ints), ``"rewards"`` ``(T,)`` and ``"dones"`` ``(T,)`` (1 at the last step of
    each episode, so the batch holds ``sum(dones)`` episodes).  With ``G`` the discounted returns
    (``discounted_returns``) and ``b`` the baseline (the mean of ``G`` over all T steps when
    ``baseline`` is True, else 0), the step is

        theta + learning_rate * sum_t (G[t] - b) * log_softmax_gradient(theta, features[t], actions[t]) / sum(dones)

    Do not modify the ``theta`` passed in; return a new array of its shape.
    """
    # TODO: returns, minus the baseline, weight each step's log-policy gradient; average over episodes
    raise NotImplementedError("Returns, minus the baseline, weight each step's log-policy gradient; average over episodes")


def run_episodes(env, theta, num_episodes: int, rng) -> dict:
    """Play ``num_episodes`` whole episodes in ``env``, sampling each action from ``softmax_policy(theta, .)``.

    ``env`` has ``reset() -> features`` and ``step(action) -> (features, reward, done)``; ``rng`` is a
    ``np.random.Generator`` (used as it is) or an int seed (``np.random.default_rng(rng)``): every random choice
    comes from it.  Return the episodes laid end to end, as a dict of arrays
    ``"features"`` ``(T, num_features)`` (the state each action was taken in), ``"actions"`` ``(T,)``
    ints, ``"rewards"`` ``(T,)`` floats and ``"dones"`` ``(T,)`` floats (1.0 at each episode's last step).
    """
    rng = np.random.default_rng(rng)
    # TODO: reset, then sample an action from the policy and step until done; record every step
    raise NotImplementedError('Reset, then sample an action from the policy and step until done; record every step')


def train(env, num_iterations: int = 100, episodes_per_iteration: int = 10, gamma: float = 0.99,
          learning_rate: float = 0.1, baseline: bool = True, seed: int = 0) -> tuple[np.ndarray, list[float]]:
    """Train a softmax policy on ``env`` with REINFORCE, starting from ``theta = 0`` (the uniform policy).

    One generator ``rng = np.random.default_rng(seed)`` serves the whole training.  Each iteration plays
    ``episodes_per_iteration`` episodes with the current ``theta`` (``run_episodes(env, theta,
    episodes_per_iteration, rng)``) and makes one ``reinforce_update(theta, episodes, gamma, learning_rate,
    baseline=baseline)``.  Return ``(theta, average_rewards)``: the final ``theta``, of shape
    ``(env.num_features, env.num_actions)``, and for each iteration the average total (undiscounted) reward of
    its episodes (the sum of their rewards divided by ``episodes_per_iteration``), recorded before its update.
    """
    # TODO: start from zeros; each iteration: play episodes, record their average reward, update
    raise NotImplementedError('Start from zeros; each iteration: play episodes, record their average reward, update')
