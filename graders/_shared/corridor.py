"""The corridor of two exercises (policy_gradient, actor_critic): the grader's exact model, and a probe of the worker's.

Both exercises give the candidate a ``Corridor(length, slip, max_steps, seed)``: cells ``0 .. length - 1``,
action 0 moves left and 1 right, with probability ``slip`` the move goes the other way, the left wall keeps the
agent in cell 0, and an episode ends on reaching the last cell or after ``max_steps`` steps.  They differ in
where an episode starts and in what a step pays, which :class:`CorridorModel` takes as parameters.

- :meth:`CorridorModel.value` computes *exactly* (backward induction over the steps left) the expected return
  of a policy given as ``probabilities[cell, action]``, so that a check can judge a learned policy itself.
- :func:`probe_corridor` drives the worker's own ``Corridor`` with the grader's actions and holds every
  transition against the model: the environment the candidate trains in must be the one the contract
  describes, with the parameters it was given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.checks import (
    Handle,
    expect_close,
    expect_in_range,
    expect_runs_differ,
    expect_scalar_close,
    expect_shape,
    expect_subset,
    expect_type,
)

LEFT, RIGHT = 0, 1


@dataclass(frozen=True)
class CorridorModel:
    """A corridor as the grader sees it: its parameters, where episodes start and what steps pay."""

    length: int
    slip: float
    max_steps: int
    step_reward: float  # what a step that does not reach the last cell pays
    goal_reward: float  # what the step into the last cell pays
    gamma: float = 1.0  # the discount of the return a policy is judged by
    random_start: bool = False  # False: every episode starts in cell 0; True: in a uniform cell other than the last

    def describe(self) -> str:
        return f"Corridor(length={self.length}, slip={self.slip:.3f}, max_steps={self.max_steps})"

    @property
    def goal(self) -> int:
        return self.length - 1

    @property
    def states(self) -> np.ndarray:
        """The one-hot features of every cell, float32, shape ``(length, length)``."""
        return np.eye(self.length, dtype=np.float32)

    def next_cell(self, cell: int, move: int) -> int:
        """The cell reached from ``cell`` by a move of ``move`` (+1 or -1), against the walls."""
        return int(np.clip(cell + move, 0, self.goal))

    def _backup(self, values: np.ndarray) -> np.ndarray:
        """``q[cell, action]``: the expected reward of the step plus gamma times the value of the cell reached."""
        q = np.zeros((self.length, 2))
        for cell in range(self.goal):
            for action, move in ((LEFT, -1), (RIGHT, 1)):
                for step, probability in ((move, 1.0 - self.slip), (-move, self.slip)):
                    reached = self.next_cell(cell, step)
                    later = 0.0 if reached == self.goal else self.gamma * values[reached]
                    reward = self.goal_reward if reached == self.goal else self.step_reward
                    q[cell, action] += probability * (reward + later)
        return q

    def _start_value(self, values: np.ndarray) -> float:
        return float(values[:-1].mean()) if self.random_start else float(values[0])

    def value(self, probabilities: np.ndarray) -> float:
        """The exact expected (discounted) return of the policy ``probabilities[cell, action]`` from the start."""
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = np.sum(probabilities * self._backup(values), axis=1)
        return self._start_value(values)

    @property
    def uniform_value(self) -> float:
        return self.value(np.full((self.length, 2), 0.5))

    @property
    def best_value(self) -> float:
        values = np.zeros(self.length)
        for _ in range(self.max_steps):
            values = self._backup(values).max(axis=1)
        return self._start_value(values)


def draw_corridor(
    rng: np.random.Generator, *, lengths: tuple[int, int], slips: tuple[float, float], steps_per_cell: int, **rewards
) -> CorridorModel:
    """A corridor of a length drawn from ``[lengths)``, a slip from ``[slips)``, ``steps_per_cell`` steps per cell."""
    length = int(rng.integers(*lengths))
    return CorridorModel(length, float(rng.uniform(*slips)), steps_per_cell * length, **rewards)


# -- the probe of the worker's Corridor ------------------------------------------------------------------------------

# The probe corridors' length and max_steps are drawn away from the defaults of both exercises' Corridor (length
# 5, max_steps 20 or 15), and their slips are 0 and 1 (every move as intended, every move reversed), away from the
# defaults 0.1 and 0.05: a Corridor that ignores any of its parameters breaks a transition the probe checks.
PROBE_LENGTHS = (6, 9)
PROBE_MAX_STEPS = (21, 28)
PROBE_STEPS = 120  # moves taken in each of the two deterministic corridors
SEED_STEPS = 40  # moves in each of two corridors of slip 0.5 made with different seeds


@dataclass(frozen=True)
class ProbeRun:
    """What the probe saw: one flag per move, 1 where the move went the other way."""

    slipped: np.ndarray


HINT = (
    "the Corridor you were given (do not change it): it must follow the length, slip, max_steps and seed it is "
    "made with"
)


def _cell_of(features, model: CorridorModel, *, what: str) -> int:
    """The cell whose one-hot code ``features`` is, or fail."""
    array = expect_shape(features, (model.length,), what=what, hint=HINT)
    cell = int(np.argmax(array))
    expect_close(array, np.eye(model.length)[cell], what=what, hint=HINT)
    return cell


def _start(env: Handle, model: CorridorModel, *, call: str) -> int:
    """Reset ``env`` and return its start cell, failing unless it is one where the model's episodes start."""
    cell = _cell_of(env.reset(), model, what=f"the state {call}.reset() returns")
    expect_in_range(
        np.array([cell]),
        0,
        model.goal - 1 if model.random_start else 0,
        what=f"the start cell of an episode of {call}",
        hint=HINT,
    )
    return cell


def probe_corridor(env: Handle, model: CorridorModel, actions: np.ndarray, *, call: str) -> ProbeRun:
    """Take ``actions`` in the worker's corridor ``env`` (resetting after each episode) and check every transition."""
    slipped, steps_in_episode = [], 0
    cell = _start(env, model, call=call)
    for action in actions:
        what = f"{call}.step({int(action)}) from cell {cell} (step {steps_in_episode + 1} of an episode)"
        step = expect_type(env.step(int(action)), (tuple, list), what=f"what {what} returns", hint=HINT)
        features, reward, done = (list(step) + [None, None, None])[:3]
        reached = _cell_of(features, model, what=f"the next state of {what}")
        move = 1 if action == RIGHT else -1
        intended, other = model.next_cell(cell, move), model.next_cell(cell, -move)
        allowed = [
            target for target, probability in ((intended, 1.0 - model.slip), (other, model.slip)) if probability > 0.0
        ]
        expect_subset(
            [reached],
            allowed,
            noun="cell",
            hint=HINT,
            what=f"the cell reached by {what} (with slip={model.slip:g} it may reach {allowed})",
        )
        steps_in_episode += 1
        at_goal = reached == model.goal
        expect_scalar_close(
            reward,
            model.goal_reward if at_goal else model.step_reward,
            what=f"the reward of {what}",
            rtol=0.0,
            atol=1e-9,
            hint=HINT,
        )
        done = expect_type(done, (bool, np.bool_, int, np.integer), what=f"done of {what}", hint=HINT)
        expect_scalar_close(
            float(done),
            float(at_goal or steps_in_episode >= model.max_steps),
            what=f"done of {what} (1 for True)",
            rtol=0.0,
            atol=0.0,
            hint=HINT,
        )
        slipped.append(float(reached != intended))
        cell = reached
        if done:
            steps_in_episode = 0
            cell = _start(env, model, call=call)
    return ProbeRun(np.array(slipped))


def probe_actions(model: CorridorModel, rng: np.random.Generator, steps: int) -> np.ndarray:
    """A whole episode of left moves, a run of right moves as long as the corridor, then random moves."""
    planned = [LEFT] * model.max_steps + [RIGHT] * model.length
    return np.concatenate([planned, rng.integers(2, size=steps)])[:steps].astype(np.int64)


def expect_corridor_follows_parameters(
    make_env,
    rng: np.random.Generator,
    *,
    step_reward: float,
    goal_reward: float,
    random_start: bool,
    seeds: tuple[int, int],
) -> None:
    """Probe corridors made in the worker by ``make_env(length, slip, max_steps, seed)`` against the grader's model.

    Every transition of a corridor of slip 0 and of one of slip 1 must be the one the model gives (cell reached,
    reward, done); two corridors of slip 0.5 made with different seeds must not slip on the same moves.
    """
    length, max_steps = int(rng.integers(*PROBE_LENGTHS)), int(rng.integers(*PROBE_MAX_STEPS))
    rewards = {"step_reward": step_reward, "goal_reward": goal_reward, "random_start": random_start}
    runs = []
    for slip, steps, seed in (
        (0.0, PROBE_STEPS, seeds[0]),
        (1.0, PROBE_STEPS, seeds[0]),
        (0.5, SEED_STEPS, seeds[0]),
        (0.5, SEED_STEPS, seeds[1]),
    ):
        model = CorridorModel(length, slip, max_steps, **rewards)
        call = f"Corridor(length={length}, slip={slip:g}, max_steps={max_steps}, seed={seed})"
        runs.append(
            probe_corridor(make_env(length, slip, max_steps, seed), model, probe_actions(model, rng, steps), call=call)
        )
    expect_runs_differ(
        runs[2].slipped,
        runs[3].slipped,
        what=(
            f"two corridors of slip 0.5 made with the seeds {seeds[0]} and {seeds[1]} slipped on "
            f"exactly the same {SEED_STEPS} moves"
        ),
        hint=HINT,
    )
