"""Verify a Keras model that lives in the worker, then inspect a trusted copy of it.

The worker's description of its own model (layers, weights, loss) is a claim.  To
score structure, the grader:

1. asks the worker for the model's architecture (JSON), weights (arrays) and
   compile settings (JSON), as data;
2. refuses any architecture that names something other than Keras's own
   built-in classes (no ``Lambda``, no custom layers, no ``TFSMLayer``), then
   rebuilds it here, in the trusted grader process, with ``safe_mode``;
3. feeds the same secret inputs to the rebuild and to the candidate's model
   (``predict_on_batch``) and requires the outputs to match.

Only then does the check look at the rebuild: its layers, activations, weights,
parameter counts.  A model that lies about itself cannot match its own outputs
on inputs it could not predict, so the lie fails the check.  The loss a model
was compiled with is verified the same way: the grader computes the claimed loss
on the rebuild's outputs and compares it with what the candidate's
``evaluate`` reports.
"""

from __future__ import annotations

import json
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.grader.failures import CheckFailed
from harness.grader.proxy import Handle

MAX_ARCHITECTURE_CHARS = 4_000_000
MAX_PARAMETERS = 50_000_000
FORBIDDEN_CLASSES = frozenset(
    {
        "Lambda",
        "TFSMLayer",
        "TorchModuleWrapper",
        "JaxLayer",
        "FlaxLayer",
        "Layer",
        "__lambda__",
        "function",
    }
)
OUTPUT_RTOL = 1e-4
OUTPUT_ATOL = 1e-5
LOSS_RTOL = 1e-3
LOSS_ATOL = 1e-5


class UnverifiableModel(CheckFailed):
    """The model cannot be rebuilt from what the worker says it is, or the rebuild behaves differently."""


def _check_config(node: Any, *, where: str = "the model", depth: int = 0) -> None:
    """Refuse any part of a Keras config that is not one of Keras's own classes."""
    if depth > 200:
        raise UnverifiableModel(f"{where} is nested too deeply to be verified")
    if isinstance(node, dict):
        class_name = node.get("class_name")
        if isinstance(class_name, str) and class_name != "__keras_tensor__":
            module = node.get("module")
            registered = node.get("registered_name")
            if class_name in FORBIDDEN_CLASSES:
                raise UnverifiableModel(
                    f"{where} uses a {class_name} layer, whose code the grader cannot verify. Build the model from "
                    "Keras's built-in layers only (Dense, Conv2D, pooling, activations, ...)."
                )
            if module is not None and not (
                isinstance(module, str) and (module == "keras" or module.startswith("keras."))
            ):
                raise UnverifiableModel(
                    f"{where} uses {class_name} from {module!r}, which is not one of Keras's built-in classes. "
                    "Build the model from Keras's built-in layers only, with the Sequential or functional API."
                )
            if registered not in (None, class_name) and not (
                isinstance(registered, str) and registered.startswith("keras")
            ):
                raise UnverifiableModel(
                    f"{where} uses the custom class {registered!r}; use Keras's built-in layers only."
                )
        for value in node.values():
            _check_config(value, where=where, depth=depth + 1)
    elif isinstance(node, list):
        for value in node:
            _check_config(value, where=where, depth=depth + 1)


def _as_float_arrays(values: Any, *, what: str) -> list[np.ndarray]:
    if isinstance(values, np.ndarray):
        values = [values]
    if not isinstance(values, (list, tuple)) or not all(isinstance(value, np.ndarray) for value in values):
        raise UnverifiableModel(f"{what} should be arrays, one per model output")
    arrays = []
    for value in values:
        if value.dtype.kind not in "biuf":
            raise UnverifiableModel(f"{what} should hold numbers, but holds {value.dtype}")
        arrays.append(value.astype(np.float64))
    return arrays


@dataclass
class LayerView:
    """One layer of a verified model, as a check may read it."""

    class_name: str
    name: str
    activation: str | None
    trainable: bool
    parameters: int
    config: dict


class VerifiedModel:
    """A trusted copy of the candidate's model, rebuilt here and proven to compute what theirs computes."""

    def __init__(self, model: Any, compile_config: dict | None):
        self.model = model
        self.compile_config = compile_config  # a claim until verify_compiled_loss confirms its loss

    def layers(self) -> list[LayerView]:
        """Every layer, nested models included, in order."""
        found = []

        def walk(model: Any) -> None:
            for layer in getattr(model, "layers", []):
                config = layer.get_config()
                activation = config.get("activation")
                found.append(
                    LayerView(
                        type(layer).__name__,
                        layer.name,
                        activation if isinstance(activation, str) else None,
                        bool(layer.trainable),
                        int(layer.count_params()),
                        config,
                    )
                )
                if getattr(layer, "layers", None):
                    walk(layer)

        walk(self.model)
        return found

    def layer_classes(self) -> list[str]:
        return [layer.class_name for layer in self.layers()]

    def weights(self) -> list[np.ndarray]:
        """The weights, as float64 arrays, in ``get_weights()`` order."""
        return [np.asarray(weight, dtype=np.float64) for weight in self.model.get_weights()]

    def trainable_parameters(self) -> int:
        return int(sum(int(np.prod(weight.shape)) for weight in self.model.trainable_weights))

    def parameters(self) -> int:
        return int(sum(int(np.prod(weight.shape)) for weight in self.model.weights))

    def predict(self, inputs: Any) -> list[np.ndarray]:
        """The trusted copy's outputs on ``inputs``, one float64 array per model output."""
        outputs = self.model.predict_on_batch(inputs)
        return [
            np.asarray(output, dtype=np.float64)
            for output in (outputs if isinstance(outputs, (list, tuple)) else [outputs])
        ]

    def output_activation(self) -> str | None:
        """The activation of the layer that produces the (first) output, looking through Activation layers."""
        layers = self.layers()
        for layer in reversed(layers):
            if layer.class_name == "Activation":
                return layer.config.get("activation")
            if layer.activation is not None:
                return layer.activation
            if layer.class_name in ("Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU"):
                return layer.class_name.lower()
            if layer.parameters:
                return None
        return None


PROBE_BATCH = 8


def _probe_from_shapes(model: Any, rng: np.random.Generator, *, what: str) -> Any:
    """Standard normal inputs of the rebuilt model's declared input shapes, drawn from ``rng``."""
    probes = []
    for tensor in model.inputs:
        shape = tuple(tensor.shape)[1:]
        if any(size is None for size in shape):
            raise UnverifiableModel(
                f"{what} takes inputs of shape {shape} with unknown sizes; the check must give probe inputs itself"
            )
        probes.append(rng.standard_normal((PROBE_BATCH, *shape)).astype(np.float32))
    return probes[0] if len(probes) == 1 else probes


def import_keras_in_background() -> None:
    """Import Keras in the grader on a thread, while the worker imports TensorFlow: graders that verify models
    call this from their conftest, so the first verification does not wait for the import. A failure is left
    for the first check that needs Keras, which imports it again and reports the error."""

    def load() -> None:
        try:
            import keras  # noqa: F401
        except Exception:
            pass

    threading.Thread(target=load, name="import keras", daemon=True).start()


def verify_keras_model(
    submission: Any, handle: Any, *, what: str, probe_inputs: Any = None, rng: np.random.Generator | None = None
) -> VerifiedModel:
    """Rebuild the model behind ``handle`` here and prove it computes what the candidate's does on fresh inputs.

    The inputs are ``probe_inputs``, or standard normal inputs of the model's declared shapes drawn from
    ``rng``.  Either must come from the run's secret (the check's ``rng``), so that the worker could not
    have prepared for them.  Raises :class:`UnverifiableModel` (a failed check) otherwise.
    """
    if (probe_inputs is None) == (rng is None):
        raise ValueError("give exactly one of probe_inputs and rng")
    if not isinstance(handle, Handle):
        raise CheckFailed(f"{what} should be a Keras model, but it is {type(handle).__name__}.")
    claim = submission.export("keras_model", handle)
    if not isinstance(claim, dict) or not isinstance(claim.get("architecture"), str):
        raise UnverifiableModel(
            f"{what} could not describe its architecture; return a keras.Model built with the "
            "Sequential or functional API."
        )
    architecture = claim["architecture"]
    if len(architecture) > MAX_ARCHITECTURE_CHARS:
        raise UnverifiableModel(
            f"{what} has an architecture description of {len(architecture):,} characters, too large to verify."
        )
    try:
        parsed = json.loads(architecture)
    except ValueError:
        raise UnverifiableModel(f"{what} gave an architecture that is not JSON.") from None
    _check_config(parsed, where=what)
    weights = _as_float_arrays(claim.get("weights", []), what=f"the weights of {what}") if claim.get("weights") else []
    if sum(weight.size for weight in weights) > MAX_PARAMETERS:
        raise UnverifiableModel(f"{what} has more than {MAX_PARAMETERS:,} parameters, too many to verify.")
    compile_config = None
    if isinstance(claim.get("compile"), str):
        try:
            compile_config = json.loads(claim["compile"])
            _check_config(compile_config, where=f"the compile settings of {what}")
        except ValueError:
            compile_config = None
    import keras

    try:
        rebuilt = keras.models.model_from_json(architecture)
    except UnverifiableModel:
        raise
    except Exception as error:  # any deserialisation failure means the claim cannot be verified
        raise UnverifiableModel(
            f"{what} cannot be rebuilt from its architecture ({type(error).__name__}: "
            f"{str(error)[:200]}). Use Keras's built-in layers with the Sequential or "
            "functional API."
        ) from None
    try:
        rebuilt.set_weights(
            [
                weight.astype(np.asarray(target).dtype)
                for weight, target in zip(weights, rebuilt.get_weights(), strict=True)
            ]
        )
    except ValueError as error:
        raise UnverifiableModel(f"{what}'s weights do not fit its architecture ({str(error)[:200]}).") from None
    verified = VerifiedModel(rebuilt, compile_config if isinstance(compile_config, dict) else None)
    if probe_inputs is None:
        if rng is None:
            raise ValueError("verify_keras_model needs rng= (secret inputs) or probe_inputs=")
        probe_inputs = _probe_from_shapes(rebuilt, rng, what=what)
    # The rebuild predicts on a thread while the worker predicts: the two processes use both cores.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verify") as pool:
        expected_outputs = pool.submit(verified.predict, probe_inputs)
        observed = _as_float_arrays(handle.predict_on_batch(probe_inputs), what=f"{what}.predict_on_batch(x)")
        expected = expected_outputs.result()
    if len(observed) != len(expected) or any(a.shape != b.shape for a, b in zip(observed, expected)):
        raise UnverifiableModel(
            f"{what}.predict_on_batch(x) gave outputs of shapes {[a.shape for a in observed]}, but the model its "
            f"architecture describes gives {[b.shape for b in expected]}."
        )
    for index, (found, wanted) in enumerate(zip(observed, expected)):
        if not (np.all(np.isfinite(found)) and np.all(np.isfinite(wanted))):
            raise UnverifiableModel(f"{what} gives NaN or infinite outputs on fresh inputs; it cannot be verified.")
        if not np.allclose(found, wanted, rtol=OUTPUT_RTOL, atol=OUTPUT_ATOL):
            worst = float(np.max(np.abs(found - wanted)))
            raise UnverifiableModel(
                f"{what} does not compute what its own architecture and weights describe: on fresh inputs its "
                f"output {index} differs from the rebuilt model's by up to {worst:.3g}. A model must be a plain "
                "keras.Model whose predict_on_batch is Keras's own."
            )
    return verified


def verify_compiled_loss(verified: VerifiedModel, handle: Any, x: Any, y: Any, *, what: str) -> Any:
    """Prove the model's claimed loss is the one it computes, and return that (trusted) loss object.

    The candidate's ``evaluate(x, y)`` must equal the claimed loss of the rebuild's outputs.
    """
    config = verified.compile_config
    if not config or not config.get("loss"):
        raise CheckFailed(f"{what} should be compiled with a loss (model.compile(optimizer=..., loss=...)).")
    import keras

    try:
        loss = keras.losses.get(config["loss"])
    except Exception as error:
        raise UnverifiableModel(f"the loss {what} was compiled with cannot be rebuilt ({error}).") from None
    predictions = verified.model.predict_on_batch(x)
    try:  # the candidate's loss on the candidate's outputs: a mismatch of shapes is theirs, not the grader's
        expected = float(np.mean(np.asarray(loss(y, predictions))))
    except Exception as error:
        first_line = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
        raise UnverifiableModel(
            f"the loss {what} was compiled with cannot be computed on its own outputs of shape "
            f"{np.shape(predictions)} for labels of shape {np.shape(y)} ({type(error).__name__}: {first_line})."
        ) from None
    expected += float(sum(float(np.asarray(term)) for term in verified.model.losses))  # weight regularisers
    reported = handle.evaluate(x, y, verbose=0, return_dict=True, batch_size=len(x))
    if not isinstance(reported, dict) or not isinstance(reported.get("loss"), (int, float)):
        raise UnverifiableModel(f"{what}.evaluate(x, y, return_dict=True) should report a loss.")
    found = float(reported["loss"])
    if not (
        math.isfinite(found)
        and math.isfinite(expected)
        and abs(found - expected) <= LOSS_ATOL + LOSS_RTOL * abs(expected)
    ):
        raise UnverifiableModel(
            f"{what}.evaluate reports a loss of {found:.6g}, but the loss it claims to be compiled with gives "
            f"{expected:.6g} on the same data: the model's compile settings cannot be verified."
        )
    return loss


def loss_settings(loss: Any) -> dict:
    """The configuration of a (verified) loss object: its class name and options such as ``from_logits``."""
    if hasattr(loss, "get_config"):
        return {"class_name": type(loss).__name__, **loss.get_config()}
    return {"class_name": getattr(loss, "__name__", type(loss).__name__), "from_logits": False}
