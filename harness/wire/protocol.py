"""The data-only wire format between the grader process and the submission worker.

A message is one frame on a pipe:

    8-byte big-endian length of the JSON header
    the JSON header (UTF-8)
    the bodies of the NumPy arrays it refers to, each in .npy format

Values are encoded as a JSON tree in which

- ``{"__ndarray__": i}`` stands for the i-th array body (loaded with
  ``allow_pickle=False``; object dtypes are refused),
- ``{"__tuple__": [...]}`` for a tuple,
- ``{"__handle__": n, "type": "...", "repr": "..."}`` for an object that stays in
  the worker and is referred to by number,
- ``{"__dict__": [[key, value], ...]}`` for a dict whose keys are not all strings.

Nothing is ever unpickled, evaluated or imported from a message.  Every frame
has a size cap, checked before its body is read.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

HEADER_LENGTH = struct.Struct(">Q")
DEFAULT_MESSAGE_CAP_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_NESTING_DEPTH = 32


class ProtocolError(Exception):
    """A frame broke the protocol: too large, malformed, or of a refused type."""


class ConnectionClosed(ProtocolError):
    """The other side closed its end of the pipe."""


@dataclass(frozen=True)
class HandleRef:
    """A reference to an object that lives in the worker."""

    number: int
    type_name: str = ""
    text: str = ""


def _reject_non_finite_keys(value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ProtocolError("dictionary keys must be finite")


class Encoder:
    """Turn a value into a JSON-able tree plus a list of arrays."""

    def __init__(self, make_handle=None):
        self.arrays: list[np.ndarray] = []
        self._make_handle = make_handle

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_NESTING_DEPTH:
            raise ProtocolError(f"value nested deeper than {MAX_NESTING_DEPTH} levels")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, np.generic) and value.dtype.kind in "biufc?":
            return self.encode(value.item(), depth)
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject or value.dtype.kind not in "biufc?SU":
                return self._handle_or_fail(value)
            self.arrays.append(np.ascontiguousarray(value))
            return {"__ndarray__": len(self.arrays) - 1}
        if isinstance(value, HandleRef):
            return {"__handle__": value.number, "type": value.type_name, "repr": value.text}
        if type(value) is tuple:
            return {"__tuple__": [self.encode(item, depth + 1) for item in value]}
        if type(value) is list:
            return [self.encode(item, depth + 1) for item in value]
        if type(value) is dict:
            if all(type(key) is str for key in value):
                if any(key.startswith("__") and key.endswith("__") for key in value):
                    return {"__dict__": [[key, self.encode(item, depth + 1)] for key, item in value.items()]}
                return {key: self.encode(item, depth + 1) for key, item in value.items()}
            pairs = []
            for key, item in value.items():
                _reject_non_finite_keys(key)
                pairs.append([self.encode(key, depth + 1), self.encode(item, depth + 1)])
            return {"__dict__": pairs}
        return self._handle_or_fail(value)

    def _handle_or_fail(self, value: Any) -> Any:
        if self._make_handle is None:
            raise ProtocolError(f"cannot send a value of type {type(value).__name__} as data")
        return self.encode(self._make_handle(value))


def decode(tree: Any, arrays: list[np.ndarray], resolve_handle=None, depth: int = 0) -> Any:
    """Rebuild a value from its JSON tree and arrays (the inverse of :class:`Encoder`)."""
    if depth > MAX_NESTING_DEPTH + 2:
        raise ProtocolError("value nested too deeply")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [decode(item, arrays, resolve_handle, depth + 1) for item in tree]
    if not isinstance(tree, dict):
        raise ProtocolError(f"unexpected JSON value of type {type(tree).__name__}")
    if "__ndarray__" in tree:
        index = tree["__ndarray__"]
        if not isinstance(index, int) or not 0 <= index < len(arrays):
            raise ProtocolError("array reference out of range")
        return arrays[index]
    if "__tuple__" in tree:
        return tuple(decode(item, arrays, resolve_handle, depth + 1) for item in tree["__tuple__"])
    if "__handle__" in tree:
        reference = HandleRef(int(tree["__handle__"]), str(tree.get("type", "")), str(tree.get("repr", "")))
        return resolve_handle(reference) if resolve_handle else reference
    if "__dict__" in tree:
        result = {}
        for pair in tree["__dict__"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ProtocolError("malformed dict entry")
            key = decode(pair[0], arrays, resolve_handle, depth + 1)
            try:
                hash(key)
            except TypeError as error:
                raise ProtocolError("unhashable dictionary key") from error
            result[key] = decode(pair[1], arrays, resolve_handle, depth + 1)
        return result
    return {key: decode(item, arrays, resolve_handle, depth + 1) for key, item in tree.items()}


def _array_to_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _bytes_to_array(body: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except Exception as error:  # malformed .npy of any kind
        raise ProtocolError(f"malformed array: {error}") from error
    if not isinstance(array, np.ndarray) or array.dtype.hasobject:
        raise ProtocolError("refused an array of object dtype")
    return array


def write_message(
    stream: BinaryIO, header: dict, arrays: Sequence[np.ndarray] = (), *, cap_bytes: int = DEFAULT_MESSAGE_CAP_BYTES
) -> None:
    """Write one frame: the header (with array sizes added) and the array bodies."""
    bodies = [_array_to_bytes(array) for array in arrays]
    header = dict(header, array_sizes=[len(body) for body in bodies])
    header_bytes = json.dumps(header, allow_nan=True).encode("utf-8")
    total = len(header_bytes) + sum(len(body) for body in bodies)
    if len(header_bytes) > MAX_HEADER_BYTES or total > cap_bytes:
        raise ProtocolError(f"message of {total:,} bytes exceeds the cap of {cap_bytes:,} bytes")
    stream.write(HEADER_LENGTH.pack(len(header_bytes)))
    stream.write(header_bytes)
    for body in bodies:
        stream.write(body)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise ConnectionClosed("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO, *, cap_bytes: int = DEFAULT_MESSAGE_CAP_BYTES) -> tuple[dict, list[np.ndarray]]:
    """Read one frame, enforcing the size cap before reading any body."""
    (header_size,) = HEADER_LENGTH.unpack(_read_exactly(stream, HEADER_LENGTH.size))
    if header_size > min(MAX_HEADER_BYTES, cap_bytes):
        raise ProtocolError(f"message header of {header_size:,} bytes exceeds the cap")
    try:
        header = json.loads(_read_exactly(stream, header_size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"malformed message header: {error}") from error
    if not isinstance(header, dict):
        raise ProtocolError("message header is not a JSON object")
    sizes = header.pop("array_sizes", [])
    if not isinstance(sizes, list) or not all(isinstance(size, int) and size >= 0 for size in sizes):
        raise ProtocolError("malformed array sizes")
    if header_size + sum(sizes) > cap_bytes:
        raise ProtocolError(f"message of {header_size + sum(sizes):,} bytes exceeds the cap of {cap_bytes:,} bytes")
    arrays = [_bytes_to_array(_read_exactly(stream, size)) for size in sizes]
    return header, arrays
