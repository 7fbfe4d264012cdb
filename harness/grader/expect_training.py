"""Assertion helpers for sequences, training runs and models: the checks graders kept writing by hand.

Like :mod:`harness.grader.expect`, each raises
:class:`~harness.grader.failures.CheckFailed` saying what was expected, what was
found and where to look, and each fails closed on NaN, infinity and zero over zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from harness.grader.expect import _hint, describe, expect_array, expect_finite, expect_shape, reference_values
from harness.grader.failures import CheckFailed
from harness.grader.proxy import Handle

Attempt = TypeVar("Attempt")


def expect_numbers(values: Any, *, what: str, length: int | None = None, hint: str | None = None) -> list[float]:
    """Return ``values`` as a list of finite floats (a list, tuple or 1-d array of numbers), or fail."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iuf":
        values = values.tolist()
    if isinstance(values, Handle) or not isinstance(values, (list, tuple)):
        raise CheckFailed(f"{what} should be a list of numbers, but it is {describe(values)}.{_hint(hint)}")
    if length is not None and len(values) != length:
        raise CheckFailed(f"{what} should hold {length} values, but it holds {len(values)}.{_hint(hint)}")
    numbers = []
    for index, value in enumerate(values):
        if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CheckFailed(f"{what} should hold numbers, but item {index} is {describe(value)}.{_hint(hint)}")
        if not math.isfinite(value):
            raise CheckFailed(f"{what} should hold finite numbers, but item {index} is {value}.{_hint(hint)}")
        numbers.append(float(value))
    return numbers


def expect_sorted(
    values: Sequence[float], *, what: str, descending: bool = True, tolerance: float = 0.0, hint: str | None = None
) -> None:
    """Fail unless ``values`` (finite numbers) are in descending (or ascending) order."""
    array = expect_finite(np.asarray(values, dtype=np.float64), what=what, hint=hint)
    steps = np.diff(array)
    wrong = steps > tolerance if descending else steps < -tolerance
    if wrong.any():
        index = int(np.argmax(wrong))
        order = "descending" if descending else "ascending"
        raise CheckFailed(
            f"{what} should be in {order} order, but item {index + 1} ({array[index + 1]:.6g}) comes "
            f"after {array[index]:.6g}.{_hint(hint)}"
        )


def expect_subset(
    found: Iterable[Any], allowed: Iterable[Any], *, what: str, noun: str = "item", hint: str | None = None
) -> None:
    """Fail if ``found`` holds anything outside ``allowed``, naming the first few strangers."""
    allowed_set = set(allowed)
    strangers = [item for item in found if item not in allowed_set]
    if strangers:
        shown = ", ".join(repr(item)[:40] for item in strangers[:5])
        raise CheckFailed(f"{what} holds {len(strangers)} {noun}(s) that should not be there: {shown}.{_hint(hint)}")


def expect_in_range(values: Any, low: float, high: float, *, what: str, hint: str | None = None) -> np.ndarray:
    """Fail unless every value is finite and in [``low``, ``high``]."""
    array = expect_finite(values, what=what, hint=hint)
    if array.size and (array.min() < low or array.max() > high):
        raise CheckFailed(
            f"{what} should lie in [{low:g}, {high:g}], but ranges from {array.min():.6g} to "
            f"{array.max():.6g}.{_hint(hint)}"
        )
    return array


def expect_dtype(value: Any, dtype: Any, *, what: str, hint: str | None = None) -> np.ndarray:
    """Fail unless ``value`` is an array of exactly ``dtype``."""
    array = expect_array(value, what=what, hint=hint)
    if array.dtype != np.dtype(dtype):
        raise CheckFailed(f"{what} should have dtype {np.dtype(dtype)}, but it has {array.dtype}.{_hint(hint)}")
    return array


def largest_change(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> float:
    """The largest absolute change of any weight; infinite when the weights changed shape or are not finite."""
    if len(before) != len(after) or any(np.shape(a) != np.shape(b) for a, b in zip(before, after)):
        return math.inf
    change = 0.0
    for a, b in zip(before, after):
        difference = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
        if not np.all(np.isfinite(difference)):
            return math.inf
        change = max(change, float(difference.max(initial=0.0)))
    return change


def expect_changed(
    before: Sequence[np.ndarray],
    after: Sequence[np.ndarray],
    *,
    what: str,
    at_least: float = 1e-7,
    hint: str | None = None,
) -> float:
    """Fail unless some weight moved by at least ``at_least`` (and none became NaN)."""
    change = largest_change(before, after)
    if change == math.inf and len(before) == len(after):
        raise CheckFailed(f"{what} became NaN or infinite, or changed shape.{_hint(hint)}")
    if not change >= at_least:
        raise CheckFailed(f"{what} did not change (largest change {change:.3g}).{_hint(hint)}")
    return change


def expect_unchanged(
    before: Sequence[np.ndarray],
    after: Sequence[np.ndarray],
    *,
    what: str,
    at_most: float = 0.0,
    hint: str | None = None,
) -> float:
    """Fail if any weight moved by more than ``at_most``."""
    change = largest_change(before, after)
    if not change <= at_most:
        raise CheckFailed(f"{what} should stay unchanged, but a weight moved by {change:.3g}.{_hint(hint)}")
    return change


def expect_runs_differ(first: Any, second: Any, *, what: str, hint: str | None = None) -> None:
    """Fail when two runs that should differ (other seeds, other arguments) gave exactly the same numbers."""
    if np.array_equal(np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)):
        raise CheckFailed(f"{what}.{_hint(hint)}")


def expect_ratio_at_most(
    value: float, baseline: float, max_ratio: float, *, metric: str, baseline_name: str, hint: str | None = None
) -> float:
    """Fail unless ``value / baseline`` is at most ``max_ratio``; 0/0, NaN and a non-positive baseline fail."""
    value, baseline = float(value), float(reference_values(baseline, what=baseline_name))
    if baseline <= 0.0:
        raise CheckFailed(f"{metric} cannot be compared with {baseline_name}, which is {baseline:.4g}.{_hint(hint)}")
    ratio = value / baseline if math.isfinite(value) else math.inf
    if not ratio <= max_ratio:
        raise CheckFailed(
            f"{metric} is {value:.4g}, {ratio:.3g} times {baseline_name} ({baseline:.4g}); it should "
            f"be at most {max_ratio:g} times.{_hint(hint)}"
        )
    return ratio


def model_outputs(
    model: Any, inputs: Any, *, what: str, shape: Sequence[int | None], hint: str | None = None
) -> np.ndarray:
    """``model.predict_on_batch(inputs)`` as a finite float64 array of ``shape``, or fail."""
    array = expect_shape(model.predict_on_batch(inputs), shape, what=what, hint=hint)
    return expect_finite(array, what=what, hint=hint).astype(np.float64)


def until_one_passes(
    run: Callable[[int], Attempt], passes: Callable[[Attempt], bool], *, attempts: int
) -> list[Attempt]:
    """Call ``run(0)``, ``run(1)``, ... until one result ``passes`` or ``attempts`` calls were made; return them all.

    For a check that judges one short training on secret data: a correct solution can fail one by bad luck (a
    policy saturated early, a network stuck for a few steps), and a bar low enough to absorb that lets wrong
    solutions through.  Each attempt must draw fresh secret data; the check then judges the last result, which
    passed if any did.  A wrong solution fails every attempt, and only a failing attempt costs another.
    ``passes`` must be false for NaN (``value >= bar`` is), so that a NaN is retried and then fails closed.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    results = []
    for attempt in range(attempts):
        results.append(run(attempt))
        if passes(results[-1]):
            break
    return results
