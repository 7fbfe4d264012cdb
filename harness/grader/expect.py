"""Assertion helpers for checks, with messages a candidate can act on.

Each helper raises :class:`~harness.grader.failures.CheckFailed` with what was
expected, what was found and what to look at.  They first make sure a value is
data (not an object left in the submission process), so that a return value
that claims to equal everything gains nothing.

They fail closed: NaN or infinity in a candidate's value fails, and a reference
that is itself not finite is a :class:`~harness.grader.failures.GradingProblem`
(the grader's bug), never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.grader.failures import CheckFailed, GradingProblem, NotImplementedYet, RaisedInSubmission
from harness.grader.proxy import Handle


def _hint(hint: str | None) -> str:
    return f" Look at {hint}." if hint else ""


def describe(value: Any) -> str:
    """Name what a value is, for a message: a handle's remote type, else the Python type (and a length)."""
    if isinstance(value, Handle):
        return f"an object of type {value.type_name}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__


def reference_values(reference: Any, *, what: str) -> np.ndarray:
    """The grader's own expected values as float64, refusing NaN or infinity there (a grader bug)."""
    array = np.asarray(reference, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise GradingProblem(f"the grader's expected value for {what} is not finite; this is a bug in the grader")
    return array


def expect_array(value: Any, *, what: str, hint: str | None = None, dtype_kind: str = "biuf") -> np.ndarray:
    """Return ``value`` as a NumPy array, or fail when it is not numeric data."""
    if isinstance(value, Handle):
        raise CheckFailed(
            f"{what} should be a NumPy array (or tensor), but it is an object of type {value.type_name}.{_hint(hint)}"
        )
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError):
            raise CheckFailed(
                f"{what} should be an array; it is a ragged or mixed {type(value).__name__}.{_hint(hint)}"
            ) from None
    if not isinstance(value, np.ndarray):
        raise CheckFailed(f"{what} should be a NumPy array, but it is {type(value).__name__}.{_hint(hint)}")
    if value.dtype.kind not in dtype_kind:
        raise CheckFailed(f"{what} should hold numbers, but its dtype is {value.dtype}.{_hint(hint)}")
    return value


def _shape_text(shape: Sequence) -> str:
    return "(" + ", ".join("None" if size is None else str(size) for size in shape) + (",)" if len(shape) == 1 else ")")


def expect_shape(value: Any, expected: Sequence[int | None], *, what: str, hint: str | None = None) -> np.ndarray:
    """Fail unless ``value`` is an array of shape ``expected`` (``None`` matches any size)."""
    array = expect_array(value, what=what, hint=hint)
    matches = len(array.shape) == len(expected) and all(
        want is None or want == got for want, got in zip(expected, array.shape)
    )
    if not matches:
        raise CheckFailed(
            f"{what} should have shape {_shape_text(expected)}, but it has shape "
            f"{_shape_text(array.shape)}.{_hint(hint)}"
        )
    return array


def expect_finite(value: Any, *, what: str, hint: str | None = None) -> np.ndarray:
    """Fail if ``value`` holds NaN or infinity."""
    array = expect_array(value, what=what, hint=hint)
    bad = ~np.isfinite(array)
    if bad.any():
        raise CheckFailed(
            f"{what} holds {int(bad.sum())} NaN or infinite value(s), first at index "
            f"{tuple(int(i) for i in np.argwhere(bad)[0])}.{_hint(hint)}"
        )
    return array


def expect_close(
    actual: Any, reference: Any, *, what: str, rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None
) -> np.ndarray:
    """Fail unless ``actual`` matches ``reference`` elementwise, naming the worst element."""
    reference = reference_values(reference, what=what)
    array = expect_shape(actual, reference.shape, what=what, hint=hint)
    expect_finite(array, what=what, hint=hint)
    difference = np.abs(array.astype(np.float64) - reference)
    tolerance = atol + rtol * np.abs(reference)
    if (difference > tolerance).any():
        worst = np.unravel_index(int(np.argmax(difference - tolerance)), difference.shape)
        count = int((difference > tolerance).sum())
        raise CheckFailed(
            f"{what} differs from the expected values at {count} of {difference.size} positions. "
            f"Worst at index {tuple(int(i) for i in worst)}: expected {float(reference[worst]):.6g}, "
            f"found {float(array[worst]):.6g} (max abs difference {float(difference.max()):.3g}).{_hint(hint)}"
        )
    return array


def expect_probabilities(
    value: Any, *, what: str, axis: int = -1, atol: float = 1e-3, hint: str | None = None
) -> np.ndarray:
    """Fail unless every slice along ``axis`` is a probability distribution."""
    array = expect_finite(value, what=what, hint=hint)
    if array.min() < -atol or array.max() > 1 + atol:
        raise CheckFailed(
            f"{what} should lie in [0, 1], but ranges from {array.min():.4g} to {array.max():.4g}.{_hint(hint)}"
        )
    sums = array.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=atol):
        worst = float(sums.flat[int(np.argmax(np.abs(sums - 1)))])
        raise CheckFailed(f"{what} should sum to 1 along axis {axis}, but a row sums to {worst:.4g}.{_hint(hint)}")
    return array


def expect_scalar(value: Any, *, what: str, hint: str | None = None) -> float:
    """Return ``value`` as a finite float: a number, or an array or tensor of one element."""
    if isinstance(value, (bool, Handle)):
        found = value.type_name if isinstance(value, Handle) else "bool"
        raise CheckFailed(f"{what} should be a number (a float or a 0-d tensor), but it is {found}.{_hint(hint)}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        array = expect_array(value, what=what, hint=hint)
        if array.size != 1:
            raise CheckFailed(f"{what} should be one number, but it has shape {array.shape}.{_hint(hint)}")
        number = float(array.ravel()[0])
    if not math.isfinite(number):
        raise CheckFailed(f"{what} should be a finite number, but it is {number}.{_hint(hint)}")
    return number


def expect_scalar_close(
    value: Any, expected: float, *, what: str, rtol: float = 1e-5, atol: float = 1e-6, hint: str | None = None
) -> float:
    """Return ``value`` as a float, or fail unless it is within ``atol + rtol * |expected|`` of ``expected``."""
    number = expect_scalar(value, what=what, hint=hint)
    wanted = float(reference_values(expected, what=what))
    if not abs(number - wanted) <= atol + rtol * abs(wanted):
        raise CheckFailed(
            f"{what} should be {wanted:.6g}, but it is {number:.6g} (difference "
            f"{abs(number - wanted):.3g}).{_hint(hint)}"
        )
    return number


def relative_error(actual: Any, reference: Any) -> float:
    """``|actual - reference| / |reference|`` in the max norm, failing closed.

    Zero over zero is 0 only when both are exactly zero; a zero reference with a non-zero value, or any
    NaN or infinity, gives infinity, so that no threshold can pass it.
    """
    found = np.asarray(actual, dtype=np.float64)
    wanted = np.asarray(reference, dtype=np.float64)
    if found.shape != wanted.shape or not (np.all(np.isfinite(found)) and np.all(np.isfinite(wanted))):
        return math.inf
    scale = float(np.max(np.abs(wanted), initial=0.0))
    difference = float(np.max(np.abs(found - wanted), initial=0.0))
    if scale == 0.0:
        return 0.0 if difference == 0.0 else math.inf
    return difference / scale


def safe_min(values: Any, *, what: str) -> float:
    """The smallest of ``values``, failing when there are none or any is NaN or infinite (``min`` hides NaN)."""
    array = expect_finite(
        np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) else values, what=what
    )
    if array.size == 0:
        raise CheckFailed(f"{what} is empty.")
    return float(array.min())


def safe_max(values: Any, *, what: str) -> float:
    """The largest of ``values``, failing when there are none or any is NaN or infinite (``max`` hides NaN)."""
    array = expect_finite(
        np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) else values, what=what
    )
    if array.size == 0:
        raise CheckFailed(f"{what} is empty.")
    return float(array.max())


def expect_loss_decreases(
    losses: Any, *, what: str = "the training loss", min_relative_drop: float = 0.1, hint: str | None = None
) -> list[float]:
    """Fail unless ``losses`` is a finite sequence whose last value is well below its first."""
    if isinstance(losses, Handle) or not isinstance(losses, (list, tuple, np.ndarray)):
        raise CheckFailed(
            f"{what} should be a list of numbers, one per epoch, but it is "
            f"{getattr(losses, 'type_name', type(losses).__name__)}.{_hint(hint)}"
        )
    try:
        values = [float(value) for value in losses]
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should hold numbers.{_hint(hint)}") from None
    if len(values) < 2:
        raise CheckFailed(f"{what} should have at least 2 values to compare, but has {len(values)}.{_hint(hint)}")
    if not all(math.isfinite(value) for value in values):
        raise CheckFailed(f"{what} became NaN or infinite: {values}.{_hint(hint or 'the learning rate and loss')}")
    first, last = values[0], values[-1]
    if not last <= first * (1 - min_relative_drop):
        raise CheckFailed(
            f"{what} should fall by at least {min_relative_drop:.0%} during training; it went from "
            f"{first:.4g} to {last:.4g}.{_hint(hint)}"
        )
    return values


def expect_at_least(
    value: float, threshold: float, *, metric: str, baseline: str | None = None, hint: str | None = None
) -> float:
    """Fail unless ``metric`` reaches ``threshold``; name the baseline it must beat, if any."""
    value = float(value)
    if not (math.isfinite(value) and value >= threshold):
        against = f" ({baseline})" if baseline else ""
        raise CheckFailed(f"{metric} should be at least {threshold:.4g}{against}, but it is {value:.4g}.{_hint(hint)}")
    return value


def expect_at_most(
    value: float, threshold: float, *, metric: str, baseline: str | None = None, hint: str | None = None
) -> float:
    """Fail unless ``metric`` stays at or below ``threshold``."""
    value = float(value)
    if not (math.isfinite(value) and value <= threshold):
        against = f" ({baseline})" if baseline else ""
        raise CheckFailed(f"{metric} should be at most {threshold:.4g}{against}, but it is {value:.4g}.{_hint(hint)}")
    return value


def expect_type(value: Any, expected: type | tuple[type, ...], *, what: str, hint: str | None = None) -> Any:
    """Fail unless ``value`` is plain data of the ``expected`` Python type."""
    if isinstance(value, Handle) or not isinstance(value, expected):
        found = value.type_name if isinstance(value, Handle) else type(value).__name__
        names = expected.__name__ if isinstance(expected, type) else " or ".join(kind.__name__ for kind in expected)
        raise CheckFailed(f"{what} should be {names}, but it is {found}.{_hint(hint)}")
    return value


def expect_raises_in_submission(call, *, accepted: tuple[str, ...], what: str, hint: str | None = None) -> str:
    """Fail unless ``call()`` makes the candidate's code raise one of the ``accepted`` exception types."""
    try:
        value = call()
    except NotImplementedYet:
        raise
    except RaisedInSubmission as raised:
        if raised.type_name in accepted:
            return raised.error_message
        raise CheckFailed(
            f"{what} should raise {' or '.join(accepted)}, but it raised {raised.type_name}: "
            f"{raised.error_message}.{_hint(hint)}"
        ) from None
    shown = value.type_name if isinstance(value, Handle) else repr(value)[:100]
    raise CheckFailed(f"{what} should raise {' or '.join(accepted)}, but it returned {shown}.{_hint(hint)}")
