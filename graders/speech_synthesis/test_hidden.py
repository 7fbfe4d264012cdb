"""Hidden checks of speech_synthesis (instructors only): context is used, and longer sequences still fit."""

from __future__ import annotations

import numpy as np
import pytest
from synthesis_reference import (
    FRAMES_PER_TOKEN,
    JUDGE_SEQUENCES,
    TOKENS,
    VOCAB_SIZE,
    baseline_frames,
    draw_tokens,
    frames_for,
    per_token_mean_frames,
    synthesize,
)

from harness.checks import expect_at_most, expect_ratio_at_most

TRAINED_HINT = "train_synthesizer: NaN or wrong frames after training mean the fit failed (loss, learning rate)"

# test_context_is_used: change the token before a token t and compare how the model's frames for t move with how
# the true frames move: sum |model change - true change|^2 / sum |true change|^2.  The reference and the
# variants reach 0.008-0.130 (CALIBRATION.md, 20 seeds); a model whose frames depend on their own token only
# scores exactly 1 (it does not move).  0.4 leaves a margin of 3.1x above the correct ones' worst.
MAX_CONTEXT_ERROR = 0.4

# test_longer_sequences: as test_beats_per_token_baseline, on sequences twice as long as the training ones.  The
# reference and the variants reach 0.012-0.164 (CALIBRATION.md, 20 seeds); a model that cannot take any length fails
# on the shape, one without context scores about 1.  (A Bidirectional model, which the contract rules out because it
# does not stream, reached 0.03-0.79 here: its backward pass never saw sequences this long.)
MAX_LONG_BASELINE_RATIO = 0.3


@pytest.mark.statistical
@pytest.mark.points(2)
def test_context_is_used(trained, language, rng, measure):
    """A token's frames change as the truth does when the token before it changes (co-articulation)."""
    token_ids = draw_tokens(rng, JUDGE_SEQUENCES)
    rows = np.arange(JUDGE_SEQUENCES)
    positions = rng.integers(1, TOKENS, size=JUDGE_SEQUENCES)  # the token whose left neighbour changes
    changed = token_ids.copy()
    changed[rows, positions - 1] = (token_ids[rows, positions - 1] + rng.integers(1, VOCAB_SIZE, JUDGE_SEQUENCES)) % (
        VOCAB_SIZE
    )
    frames = positions[:, None] * FRAMES_PER_TOKEN + np.arange(FRAMES_PER_TOKEN)  # (n, r): the frames of token t
    true_change = (frames_for(language, changed) - frames_for(language, token_ids))[rows[:, None], frames]
    model_change = (
        synthesize(trained.model, changed, hint=TRAINED_HINT) - synthesize(trained.model, token_ids, hint=TRAINED_HINT)
    )[rows[:, None], frames]
    error = measure("context_error", float(np.sum((model_change - true_change) ** 2) / np.sum(true_change**2)))
    expect_at_most(
        error,
        MAX_CONTEXT_ERROR,
        metric="when the token before a token t is replaced, the squared error of the change of t's frames "
        "against the true change, relative to the true change's size",
        baseline="a model whose frames depend on their own token only scores 1",
        hint="build_synthesizer: a recurrent layer with return_sequences=True between the Embedding and the "
        "output, so that each token's frames see the tokens before it",
    )


@pytest.mark.statistical
@pytest.mark.points(1)
def test_longer_sequences(trained, language, rng, measure):
    """Sequences twice as long as the training ones are synthesized as well, far better than the baseline."""
    token_ids = draw_tokens(rng, JUDGE_SEQUENCES, 2 * TOKENS)
    truth = frames_for(language, token_ids)
    error = float(np.mean((synthesize(trained.model, token_ids, hint=TRAINED_HINT) - truth) ** 2))
    means = per_token_mean_frames(trained.token_ids, trained.frames)
    baseline = float(np.mean((baseline_frames(means, token_ids) - truth) ** 2))
    measure("long_baseline_ratio", error / baseline)
    expect_ratio_at_most(
        error,
        baseline,
        MAX_LONG_BASELINE_RATIO,
        metric=f"the mean squared error of the frames of {JUDGE_SEQUENCES} fresh sequences of {2 * TOKENS} tokens",
        baseline_name="that of each token's mean frames in the training data",
        hint="build_synthesizer: keras.Input(shape=(None,)) for any number of tokens, and a recurrent layer",
    )
