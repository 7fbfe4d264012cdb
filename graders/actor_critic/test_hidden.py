"""Hidden checks of the actor_critic exercise: the TD target is a constant, the actor's step goes the right way, and
train and the given Corridor follow every argument they are given."""

from __future__ import annotations

import numpy as np
import pytest
from _shared.corridor import expect_corridor_follows_parameters
from critic_tasks import (
    GAMMA,
    Batch,
    copy_weights,
    entropies,
    read_probabilities,
    read_step,
    read_values,
    step_call,
    verified,
    weights_of,
)

from harness.checks import (
    expect_at_least,
    expect_at_most,
    expect_changed,
    expect_close,
    expect_in_range,
    expect_runs_differ,
    expect_shape,
    expect_type,
    largest_change,
)

# test_critic_target_is_constant: two equal critics, stepped on batches whose next states differ but whose TD
# targets are equal (the rewards make up the difference), must end equal.  Correct solutions differ by at most
# 3e-8 (float32 rounding of the targets, CALIBRATION.md, 20 seeds); a target that is not detached sends gradients
# through V(s') and moves them apart by 0.04 or more (seeds 0-4).  1e-5 sits far from both.
SAME_WEIGHTS_TOLERANCE = 1e-5

# test_actor_follows_advantage / test_entropy_bonus: the rise of the objective after one small SGD step is
# first-order positive for a correct step, negative for a step the wrong way.  Correct solutions rise by 0.1 or
# more (objective) and 0.02 or more (entropy) on 20 seeds (CALIBRATION.md); an actor loss or an entropy with the
# wrong sign gives -0.04 or less (seeds 0-4).  1e-6 only asks for the right direction.
MIN_RISE = 1e-6

# test_train_follows_its_arguments: short trainings on a small corridor, every argument away from its default; each
# variation changes one argument.  Seeds given to the worker are its own seed plus these offsets.
ARGUMENTS_CORRIDOR = (4, 0.1, 8)  # length, slip, max_steps
BASE_TRAINING = {
    "num_episodes": 3,
    "gamma": 0.8,
    "actor_learning_rate": 0.05,
    "critic_learning_rate": 0.08,
    "entropy_coefficient": 0.05,
}
VARIATIONS = {"gamma": 0.5, "entropy_coefficient": 0.5}
ARGUMENT_SEED_OFFSETS = (3, 4, 5)  # (environment, training, another training seed)
# One episode with these learning rates against one with both at 0, same seed: the first Adam step moves a weight
# by learning_rate * g / (|g| + 3.2e-6), so the largest move of each network is its learning rate to within 1% for
# every correct solution (CALIBRATION.md: within 1e-4); plain SGD, or the other network's learning rate, is off
# by far more.
ADAM_LEARNING_RATES = (0.04, 0.015)  # (actor, critic)
ADAM_TOLERANCE = 0.01
PROBE_SEED_OFFSETS = (6, 7)


@pytest.mark.points(2)
def test_critic_target_is_constant(submission, rng, measure):
    """The critic moves V(s) towards a fixed TD target: no gradient flows through V(s')."""
    state_dim, num_actions, gamma = 4, 2, GAMMA
    first_critic, second_critic = submission.build_critic(state_dim), submission.build_critic(state_dim)
    copy_weights(submission, first_critic, second_critic, what="the critic", rng=rng)
    first_actor, second_actor = (
        submission.build_actor(state_dim, num_actions),
        submission.build_actor(state_dim, num_actions),
    )
    copy_weights(submission, first_actor, second_actor, what="the actor", rng=rng)
    size = 12
    states = rng.normal(size=(size, state_dim)).astype(np.float32)
    actions = rng.integers(num_actions, size=size)
    dones = np.zeros(size, dtype=np.float32)
    first_next, second_next = (rng.normal(size=(size, state_dim)).astype(np.float32) for _ in range(2))
    critic = verified(submission, first_critic, what="the critic", rng=rng, input_dim=state_dim)
    first_values = read_values(critic.predict(first_next)[0], rows=size, what="critic.predict(next_states)")
    second_values = read_values(critic.predict(second_next)[0], rows=size, what="critic.predict(next_states)")
    rewards = rng.normal(size=size)
    batches = (
        Batch(states, actions, rewards.astype(np.float32), first_next, dones),
        Batch(
            states, actions, (rewards + gamma * (first_values - second_values)).astype(np.float32), second_next, dones
        ),
    )
    before = critic.weights()
    for actor, critic_handle, batch in (
        (first_actor, first_critic, batches[0]),
        (second_actor, second_critic, batches[1]),
    ):
        read_step(
            submission.train_step(
                actor,
                critic_handle,
                submission.make_optimizer(0.1, "sgd"),
                submission.make_optimizer(0.1, "sgd"),
                *batch.arguments(),
                gamma,
                0.0,
            ),
            what=step_call(batch, gamma, 0.0),
        )
    after_first = weights_of(submission, first_critic, what="the first critic", rng=rng)
    expect_changed(
        before,
        after_first,
        at_least=1e-6,
        what="the critic's weights after train_step",
        hint="how train_step applies the critic's gradients with critic_optimizer",
    )
    difference = measure(
        "critic weight difference",
        largest_change(after_first, weights_of(submission, second_critic, what="the second critic", rng=rng)),
    )
    expect_at_most(
        difference,
        SAME_WEIGHTS_TOLERANCE,
        metric=(
            "the largest difference between two critics that started equal and took one train_step on batches "
            "with different next states but the same TD targets"
        ),
        baseline="the critic's update should depend on the targets' values only",
        hint="the critic loss: the TD target r + gamma * V(s') * (1 - done) is a constant (tf.stop_gradient); only "
        "V(s) is moved",
    )


def _zero_step_batch(submission, rng, critic, states, actions, advantages, gamma) -> Batch:
    """A batch whose advantages r + gamma * V(s') - V(s) are ``advantages``, for the verified ``critic``."""
    rows = len(actions)
    next_states = rng.normal(size=states.shape).astype(np.float32)
    rebuilt = verified(submission, critic, what="the critic", rng=rng, input_dim=states.shape[1])
    values = read_values(rebuilt.predict(states)[0], rows=rows, what="critic.predict(states)")
    next_values = read_values(rebuilt.predict(next_states)[0], rows=rows, what="critic.predict(next_states)")
    return Batch(
        states,
        actions,
        (values + advantages - gamma * next_values).astype(np.float32),
        next_states,
        np.zeros(rows, dtype=np.float32),
    )


def _probabilities(submission, rng, actor, states, num_actions: int) -> np.ndarray:
    rebuilt = verified(submission, actor, what="the actor", rng=rng, input_dim=states.shape[1])
    return read_probabilities(
        rebuilt.predict(states)[0], rows=len(states), actions=num_actions, what="actor.predict(states)"
    )


@pytest.mark.points(2)
def test_actor_follows_advantage(submission, rng, measure):
    """One step raises log pi of actions with a positive advantage against those with a negative one."""
    state_dim, num_actions, gamma = 4, 3, GAMMA
    actor, critic = submission.build_actor(state_dim, num_actions), submission.build_critic(state_dim)
    states = np.repeat(rng.normal(size=(2, state_dim)), num_actions, axis=0).astype(np.float32)
    actions = np.tile(np.arange(num_actions), 2)
    advantages = np.concatenate([rng.permutation([1.0, -1.0, 0.0]) for _ in range(2)])
    batch = _zero_step_batch(submission, rng, critic, states, actions, advantages, gamma)

    def objective() -> float:
        probabilities = _probabilities(submission, rng, actor, states, num_actions)
        return float(np.sum(advantages * np.log(probabilities[np.arange(len(actions)), actions])))

    before = objective()
    read_step(
        submission.train_step(
            actor,
            critic,
            submission.make_optimizer(0.1, "sgd"),
            submission.make_optimizer(0.0, "sgd"),
            *batch.arguments(),
            gamma,
            0.0,
        ),
        what=step_call(batch, gamma, 0.0),
    )
    rise = measure("objective_rise", objective() - before)
    expect_at_least(
        rise,
        MIN_RISE,
        metric=(
            "the change of sum(A * log pi(a | s)) after one train_step (SGD, learning rate 0.1, entropy "
            "coefficient 0) on two states where each of 3 actions had an advantage of +1, -1 or 0"
        ),
        baseline="gradient descent on the actor loss raises it",
        hint="the sign of the actor loss: -mean(log pi(a|s) * A), minimised",
    )


@pytest.mark.points(1)
def test_entropy_bonus(submission, rng, measure):
    """With zero advantages, the entropy bonus alone makes the policy more random."""
    state_dim, num_actions, gamma = 4, 3, GAMMA
    actor, critic = submission.build_actor(state_dim, num_actions), submission.build_critic(state_dim)
    states = (3.0 * rng.normal(size=(8, state_dim))).astype(np.float32)  # large inputs: a far from uniform policy
    batch = _zero_step_batch(submission, rng, critic, states, rng.integers(num_actions, size=8), np.zeros(8), gamma)

    def entropy() -> float:
        return float(entropies(_probabilities(submission, rng, actor, states, num_actions)).mean())

    before = entropy()
    read_step(
        submission.train_step(
            actor,
            critic,
            submission.make_optimizer(0.1, "sgd"),
            submission.make_optimizer(0.0, "sgd"),
            *batch.arguments(),
            gamma,
            1.0,
        ),
        what=step_call(batch, gamma, 1.0),
    )
    rise = measure("entropy_rise", entropy() - before)
    expect_at_least(
        rise,
        MIN_RISE,
        metric=(
            f"the change of the policy's mean entropy (it was {before:.4f}) after one train_step with zero "
            "advantages and entropy_coefficient=1.0"
        ),
        baseline="the entropy bonus should raise it",
        hint="the entropy term of the actor loss: - entropy_coefficient * entropy, with entropy = "
        "-sum_a pi(a|s) log pi(a|s) (a bonus, so minimising the loss raises the entropy)",
    )


def _short_training(submission, rng, seeds: tuple[int, int], split: bool = False, **changes):
    """Train on a fresh small corridor; return the (verified) weights of the actor and the critic, and the call.

    The weights come as one vector, or with ``split`` as a pair of lists (the actor's, the critic's).
    """
    length, slip, max_steps = ARGUMENTS_CORRIDOR
    seed = changes.pop("seed", seeds[1])
    training = {**BASE_TRAINING, **changes}
    arguments = ", ".join(f"{key}={value}" for key, value in training.items())
    call = f"train(Corridor({length}, {slip}, {max_steps}, seed={seeds[0]}), {arguments}, seed={seed})"
    value = submission.train(submission.Corridor(length, slip, max_steps, seed=seeds[0]), **training, seed=seed)
    triple = expect_type(value, (tuple, list), what=f"what {call} returns", hint="(actor, critic, returns)")
    expect_shape(np.zeros(len(triple)), (3,), what=f"the tuple {call} returns, (actor, critic, returns),")
    expect_shape(
        triple[2],
        (training["num_episodes"],),
        what=f"returns from {call}",
        hint="train: one total reward per episode, num_episodes of them",
    )
    weights = [
        weights_of(submission, model, what=f"the {name} from {call}", rng=rng)
        for name, model in (("actor", triple[0]), ("critic", triple[1]))
    ]
    if split:
        return weights, call
    return np.concatenate([weight.ravel() for network in weights for weight in network]), call


def _first_adam_moves(submission, rng, seeds: tuple[int, int], measure) -> None:
    """One episode with the Adam learning rates, against one with both at 0: each network's largest move."""
    trained, call = _short_training(
        submission,
        rng,
        seeds,
        num_episodes=1,
        actor_learning_rate=ADAM_LEARNING_RATES[0],
        critic_learning_rate=ADAM_LEARNING_RATES[1],
        split=True,
    )
    initial, initial_call = _short_training(
        submission, rng, seeds, num_episodes=1, actor_learning_rate=0.0, critic_learning_rate=0.0, split=True
    )
    for index, name in enumerate(("actor", "critic")):
        move = largest_change(trained[index], initial[index])
        measure(f"{name}'s largest first move / learning rate", move / ADAM_LEARNING_RATES[index])
        expect_in_range(
            np.array([move / ADAM_LEARNING_RATES[index]]),
            1.0 - ADAM_TOLERANCE,
            1.0 + ADAM_TOLERANCE,
            what=(
                f"the largest move of a weight of the {name} in {call}, from the {name} of "
                f"{initial_call}, as a share of the {name}'s learning rate "
                f"{ADAM_LEARNING_RATES[index]} (the first step of Adam moves a weight by about its "
                "learning rate)"
            ),
            hint=f"train: the {name} gets its own Adam optimizer, make_optimizer({name}_learning_rate), "
            "and one train_step per episode",
        )


@pytest.mark.points(2)
def test_train_follows_its_arguments(submission, rng, worker_seed, measure):
    """train steps each network with Adam at its own learning rate and depends on every argument; the Corridor too."""
    environment, seed, other_seed = (worker_seed + offset for offset in ARGUMENT_SEED_OFFSETS)
    base, call = _short_training(submission, rng, (environment, seed))
    again, _ = _short_training(submission, rng, (environment, seed))
    expect_close(
        again,
        base,
        rtol=0.0,
        atol=1e-6,
        what=f"the networks' weights from {call}, run a second time",
        hint="train: build the networks after keras.utils.set_random_seed(seed) and sample every action "
        "with a generator made from seed, so that the same arguments give the same agent",
    )
    for name, value in [*VARIATIONS.items(), ("seed", other_seed)]:
        changed, changed_call = _short_training(submission, rng, (environment, seed), **{name: value})
        expect_runs_differ(
            changed,
            base,
            what=f"{changed_call} gave exactly the networks of {call}: {name} made no difference",
            hint=f"how train uses {name}",
        )
    _first_adam_moves(submission, rng, (environment, seed), measure)
    expect_corridor_follows_parameters(
        lambda length, slip, max_steps, corridor_seed: submission.Corridor(length, slip, max_steps, seed=corridor_seed),
        rng,
        step_reward=0.0,
        goal_reward=1.0,
        random_start=True,
        seeds=tuple(worker_seed + offset for offset in PROBE_SEED_OFFSETS),
    )
