"""The wire format carries data only, within size caps."""

import io

import numpy as np
import pytest

from harness.wire.protocol import Encoder, HandleRef, ProtocolError, decode, read_message, write_message


def round_trip(value, cap=1 << 20):
    encoder = Encoder()
    tree = encoder.encode(value)
    stream = io.BytesIO()
    write_message(stream, {"value": tree}, encoder.arrays, cap_bytes=cap)
    stream.seek(0)
    header, arrays = read_message(stream, cap_bytes=cap)
    return decode(header["value"], arrays)


def test_plain_values_round_trip():
    value = {"a": [1, 2.5, None, True, "x"], "b": (1, (2, 3)), 3: "int key", "__tuple__": "tricky key"}
    assert round_trip(value) == value


def test_arrays_round_trip_with_dtype_and_shape():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    result = round_trip({"x": array, "y": np.int64(7)})
    assert result["x"].dtype == np.float32 and np.array_equal(result["x"], array)
    assert result["y"] == 7 and type(result["y"]) is int


def test_objects_are_refused_without_a_handle_factory():
    with pytest.raises(ProtocolError, match="cannot send"):
        Encoder().encode(object())
    with pytest.raises(ProtocolError):
        Encoder().encode(np.array([object()], dtype=object))


def test_objects_become_handles_with_a_factory():
    encoder = Encoder(make_handle=lambda value: HandleRef(7, "builtins.object", "<obj>"))
    tree = encoder.encode([object()])
    assert decode(tree, []) == [HandleRef(7, "builtins.object", "<obj>")]


def test_pickled_array_body_is_refused():
    stream = io.BytesIO()
    body = io.BytesIO()
    np.save(body, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    header = b'{"value": {"__ndarray__": 0}, "array_sizes": [%d]}' % len(body.getvalue())
    stream.write(len(header).to_bytes(8, "big") + header + body.getvalue())
    stream.seek(0)
    with pytest.raises(ProtocolError):
        read_message(stream)


def test_size_cap_is_enforced_on_both_sides():
    with pytest.raises(ProtocolError, match="exceeds the cap"):
        round_trip(np.zeros(10_000), cap=1000)
    stream = io.BytesIO((10**9).to_bytes(8, "big") + b"{}")
    with pytest.raises(ProtocolError, match="exceeds the cap"):
        read_message(stream, cap_bytes=1000)


def test_malformed_header_is_a_protocol_error():
    stream = io.BytesIO((5).to_bytes(8, "big") + b"{nope")
    with pytest.raises(ProtocolError):
        read_message(stream)
