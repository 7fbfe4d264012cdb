"""Read the pretrained base back out of a verified model: its layers, its weights, and the head's weights.

The grader finds the base's layers in the rebuild by their names (``model_from_json`` keeps them), at any
depth of nesting, so that a candidate may keep the base as one nested model or reuse its layers directly.
Everything here reads the grader's trusted rebuild (``verify_keras_model``), never the worker's claims.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from transfer_task import ShippedBase

from harness.checks import (
    CheckFailed,
    VerifiedModel,
    expect_at_least,
    expect_changed,
    expect_scalar_close,
    expect_unchanged,
    verify_keras_model,
)


def verify_model(submission: Any, model: Any, secret: Any, what: str) -> VerifiedModel:
    """Verify ``model`` on secret inputs drawn for this description."""
    return verify_keras_model(submission, model, rng=secret.rng("probe", what), what=what)


def base_layers(verified: VerifiedModel, base: ShippedBase, *, what: str) -> dict[str, Any]:
    """The rebuild's layers that carry the base's names, in the base's order; fail when one is missing."""
    found: dict[str, Any] = {}

    def walk(model: Any) -> None:
        for layer in getattr(model, "layers", []):
            found.setdefault(layer.name, layer)
            walk(layer)

    walk(verified.model)
    missing = [name for name in base.layer_names if name not in found]
    if missing:
        raise CheckFailed(
            f"{what} has no layer named {', '.join(missing)}: the pretrained base's layers should be "
            "in the model with the names its config gives them. Rebuild the base with "
            "keras.models.model_from_json(base_json) and load base_weights into it."
        )
    return {name: found[name] for name in base.layer_names}


def base_weights(verified: VerifiedModel, base: ShippedBase, *, what: str) -> dict[str, list[np.ndarray]]:
    """Each base layer's weights in the rebuild (float64), by layer name."""
    return {
        name: [np.asarray(weight, dtype=np.float64) for weight in layer.get_weights()]
        for name, layer in base_layers(verified, base, what=what).items()
    }


def head_weights(verified: VerifiedModel, base: ShippedBase, *, what: str) -> list[np.ndarray]:
    """The weights of every layer of the rebuild that is not one of the base's (the head), float64."""
    owned = {id(variable) for layer in base_layers(verified, base, what=what).values() for variable in layer.weights}
    return [np.asarray(variable, dtype=np.float64) for variable in verified.model.weights if id(variable) not in owned]


def shipped(base: ShippedBase) -> dict[str, list[np.ndarray]]:
    """The weights the grader sent, per layer, float64 (float32 values, so exact comparisons stay exact)."""
    return {
        name: [np.asarray(weight, dtype=np.float64) for weight in weights]
        for name, weights in base.layer_weights.items()
    }


def expect_layers_unchanged(
    reference: dict[str, list[np.ndarray]],
    found: dict[str, list[np.ndarray]],
    names: list[str],
    *,
    what: str,
    hint: str,
) -> None:
    """Fail unless every layer in ``names`` holds bit for bit the weights of ``reference``."""
    for name in names:
        expect_unchanged(reference[name], found[name], what=f"the weights of the base's layer {name} {what}", hint=hint)


def expect_layers_changed(
    reference: dict[str, list[np.ndarray]],
    found: dict[str, list[np.ndarray]],
    names: list[str],
    *,
    what: str,
    hint: str,
) -> None:
    """Fail unless every layer in ``names`` moved away from ``reference``."""
    for name in names:
        expect_changed(reference[name], found[name], what=f"the weights of the base's layer {name} {what}", hint=hint)


def trainable_base_parameters(verified: VerifiedModel, base: ShippedBase, *, what: str) -> dict[str, int]:
    """Per base layer, how many of its parameters the rebuilt model would train (its ``trainable_weights``)."""
    trainable = {id(variable) for variable in verified.model.trainable_weights}
    return {
        name: int(sum(int(np.prod(variable.shape)) for variable in layer.weights if id(variable) in trainable))
        for name, layer in base_layers(verified, base, what=what).items()
    }


def expect_head_only_trainable(verified: VerifiedModel, base: ShippedBase, *, what: str) -> None:
    """Fail unless no weight of the base is trainable, while the model (its head) has trainable weights."""
    counts = trainable_base_parameters(verified, base, what=what)
    expect_scalar_close(
        sum(counts.values()),
        0,
        rtol=0.0,
        atol=0.0,
        what=f"the number of the base's parameters among the trainable weights of {what} "
        f"({', '.join(f'{name}: {count}' for name, count in counts.items())})",
        hint="base.trainable = False before the model is compiled: only the head may train",
    )
    expect_at_least(
        verified.trainable_parameters(),
        1,
        metric=f"the number of trainable parameters of {what}",
        hint="the new head (a Dense softmax layer) must be trainable",
    )


def fine_tuning_split(base: ShippedBase, count: int) -> tuple[list[str], list[str], list[str]]:
    """The base's layers split into (unfrozen, frozen, normalization) for fine-tuning the top ``count``."""
    names = base.layer_names
    top = names[len(names) - count :]
    unfrozen = [name for name in top if name not in base.normalization]
    frozen = [name for name in names if name not in unfrozen and name not in base.normalization]
    return unfrozen, frozen, sorted(base.normalization)


def expect_fine_tuned_layers(
    before: VerifiedModel, after: VerifiedModel, base: ShippedBase, count: int, *, call: str
) -> None:
    """The top ``count`` layers but normalization moved during ``call``; every other non-normalization did not."""
    what = f"during {call}"
    unfrozen, frozen, _ = fine_tuning_split(base, count)
    found = base_weights(after, base, what=what)
    expect_layers_unchanged(
        shipped(base),
        found,
        frozen,
        what=what,
        hint=f"only the last {count} layers of the base (base.layers[-{count}:]) may be "
        f"unfrozen; the others keep trainable = False",
    )
    expect_layers_changed(
        base_weights(before, base, what=what),
        found,
        unfrozen,
        what=what,
        hint=f"set trainable = True on the last {count} layers of the base (not BatchNormalization), "
        "then compile again: a change of trainable takes effect at compile",
    )
