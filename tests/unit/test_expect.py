"""The assertion helpers say what was expected, what was found and where to look, and fail closed."""

import math

import numpy as np
import pytest

from harness.checks import (
    CheckFailed,
    GradingProblem,
    expect_at_least,
    expect_changed,
    expect_close,
    expect_numbers,
    expect_probabilities,
    expect_ratio_at_most,
    expect_scalar,
    expect_scalar_close,
    expect_shape,
    expect_sorted,
    expect_subset,
    expect_unchanged,
    largest_change,
    relative_error,
    safe_max,
    safe_min,
    until_one_passes,
)


def test_expect_close_names_the_worst_element_and_the_hint():
    with pytest.raises(
        CheckFailed,
        match=r"differs .* at 1 of 3 positions.*index \(2,\).*expected 3.*found 4.*Look "
        r"at the sign",
    ):
        expect_close(np.array([1.0, 2.0, 4.0]), [1.0, 2.0, 3.0], what="f(x)", hint="the sign")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_candidate_values_never_pass(bad):
    with pytest.raises(CheckFailed, match="NaN or infinite"):
        expect_close(np.array([1.0, bad]), [1.0, 2.0], what="f(x)")
    with pytest.raises(CheckFailed):
        expect_at_least(bad if bad != np.inf else np.nan, 0.5, metric="accuracy")
    with pytest.raises(CheckFailed):
        expect_scalar(bad, what="the loss")


def test_a_non_finite_reference_is_the_graders_bug_not_a_pass():
    with pytest.raises(GradingProblem, match="not finite"):
        expect_close(np.array([np.nan]), [np.nan], what="f(x)")
    with pytest.raises(GradingProblem):
        expect_scalar_close(1.0, math.nan, what="the loss")


def test_zero_over_zero_is_close_only_when_both_are_exactly_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.full(3, 1e-30), np.zeros(3)) == math.inf
    assert relative_error(np.zeros(3), np.ones(3)) == 1.0
    assert relative_error([np.nan], [1.0]) == math.inf
    assert relative_error([1.0, 2.0], [1.0]) == math.inf


def test_safe_min_and_max_refuse_nan_that_builtins_hide():
    assert min([np.nan, 0.1]) != min([0.1, np.nan])  # why the builtins are banned in graders
    with pytest.raises(CheckFailed):
        safe_min([np.nan, 0.1], what="the losses")
    with pytest.raises(CheckFailed, match="empty"):
        safe_max([], what="the losses")
    assert safe_max([1, 3, 2], what="x") == 3


def test_probabilities_must_sum_to_one():
    expect_probabilities(np.array([[0.2, 0.8]]), what="p")
    with pytest.raises(CheckFailed, match="sum to 1"):
        expect_probabilities(np.array([[0.2, 0.2]]), what="p")


def test_shape_message_shows_none_for_any_size():
    with pytest.raises(CheckFailed, match=r"shape \(None, 4\), but it has shape \(3, 5\)"):
        expect_shape(np.zeros((3, 5)), (None, 4), what="outputs")


def test_sequences_and_sets():
    assert expect_numbers(np.array([1, 2]), what="h") == [1.0, 2.0]
    with pytest.raises(CheckFailed, match="item 1 is bool"):
        expect_numbers([1.0, True], what="h")
    with pytest.raises(CheckFailed, match="hold 3 values"):
        expect_numbers([1.0], what="h", length=3)
    with pytest.raises(CheckFailed, match="descending"):
        expect_sorted([3.0, 1.0, 2.0], what="similarities")
    with pytest.raises(CheckFailed, match="1 word"):
        expect_subset(["cat", "zebra"], ["cat"], what="neighbours", noun="word")


def test_weight_changes_fail_closed():
    before = [np.zeros(2)]
    assert largest_change(before, [np.array([0.0, np.nan])]) == math.inf
    assert largest_change(before, [np.zeros(3)]) == math.inf
    with pytest.raises(CheckFailed, match="NaN"):
        expect_changed(before, [np.array([0.0, np.nan])], what="the generator's weights")
    with pytest.raises(CheckFailed, match="did not change"):
        expect_changed(before, [np.zeros(2)], what="the generator's weights")
    with pytest.raises(CheckFailed, match="moved by"):
        expect_unchanged(before, [np.array([0.0, 1e-3])], what="the discriminator's weights")


def test_ratio_against_a_baseline_fails_closed():
    assert expect_ratio_at_most(1.0, 4.0, 0.5, metric="RMSE", baseline_name="the mean's RMSE") == 0.25
    with pytest.raises(CheckFailed):
        expect_ratio_at_most(math.nan, 4.0, 0.5, metric="RMSE", baseline_name="the mean's RMSE")
    with pytest.raises(CheckFailed, match="cannot be compared"):
        expect_ratio_at_most(0.0, 0.0, 0.5, metric="RMSE", baseline_name="the mean's RMSE")


def test_until_one_passes_stops_at_the_first_pass_and_returns_every_attempt():
    calls = []

    def run(number):
        calls.append(number)
        return [0.1, 0.7, 0.9][number]

    results = until_one_passes(run, lambda share: share >= 0.5, attempts=3)
    assert results == [0.1, 0.7]  # the last result is the one that passed
    assert calls == [0, 1]  # no attempt after a pass


def test_until_one_passes_makes_every_attempt_when_none_passes_and_retries_nan():
    results = until_one_passes(lambda number: [math.nan, 0.2, 0.1][number], lambda share: share >= 0.5, attempts=3)
    assert results[1:] == [0.2, 0.1] and math.isnan(results[0])
    with pytest.raises(CheckFailed):  # judging them then fails closed on the NaN
        safe_max(results, what="the shares")


def test_until_one_passes_needs_an_attempt():
    with pytest.raises(ValueError, match="at least 1"):
        until_one_passes(lambda number: 1.0, lambda value: True, attempts=0)
