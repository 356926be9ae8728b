"""The wire format between grader and worker: plain values round-trip, nothing else passes."""
from __future__ import annotations

import base64
import io
import json
import math
from collections import namedtuple

import numpy as np
import pytest

from autograder.sandbox import protocol
from autograder.sandbox.protocol import Handle, HandleTable, ProtocolError, decode, encode, to_wire


def roundtrip(value):
    data = encode(value)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    json.loads(data)  # strict JSON: no NaN/Infinity literals
    return decode(data)


class Foo:
    pass


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class EqualFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_ufunc__(self, *args, **kwargs):
        return True


@pytest.mark.parametrize("value", [
    None, True, False, 0, -5, 2 ** 70, 1.5, -0.0, 1e-310, "", "héllo ∑ \udc80", [],
    [1, [2, [3]]],
    (), (1, "a", (2.5, None)), [(1, 2), (3, 4)], {"a": 1, "b": [1, 2]}, {1: [0.5, 0.6], 7: []},
    {(1e-7, 2.5e4): (0.3, 0.31), (1e-6, 5e4): (0.35, 0.36)}, {None: 1, "x": {2: "y"}},
    complex(1.5, -2.0), math.inf, -math.inf,
])
def test_plain_values_round_trip_with_their_types(value):
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, dict):
        assert list(back) == list(value)
        assert [type(k) for k in back] == [type(k) for k in value]
        assert [type(v) for v in back.values()] == [type(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        assert [type(v) for v in back] == [type(v) for v in value]


def test_nan_and_signed_zero_round_trip():
    back = roundtrip([math.nan, -0.0, complex(math.nan, math.inf)])
    assert math.isnan(back[0])
    assert math.copysign(1.0, back[1]) == -1.0
    assert math.isnan(back[2].real) and back[2].imag == math.inf


def test_bool_stays_bool_and_int_keys_stay_int():
    back = roundtrip({1: True, 2: 0, "1": False})
    assert back == {1: True, 2: 0, "1": False}
    assert type(back[1]) is bool and type(back[2]) is int
    assert set(back) == {1, 2, "1"}


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "int64", "uint8", "uint64",
                                   "float16", "float32", "float64", ">f8", "complex64",
                                   "complex128"])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3, 4), (0, 3)])
def test_arrays_keep_shape_dtype_and_values(dtype, shape):
    rng = np.random.default_rng(0)
    arr = np.asarray(rng.standard_normal(shape) * 50).astype(dtype)
    if arr.dtype.kind == "f" and arr.size:
        arr.flat[0] = np.nan
    back = roundtrip(arr)
    assert type(back) is np.ndarray
    assert back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr, equal_nan=arr.dtype.kind in "fc")
    assert back.flags.writeable and not np.shares_memory(back, arr)


def test_fortran_order_and_non_contiguous_arrays():
    f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    back = roundtrip(f)
    assert back.flags.f_contiguous and np.array_equal(back, f)
    view = np.arange(20).reshape(4, 5)[::2, 1::2]
    assert np.array_equal(roundtrip(view), view)


def test_numpy_scalars_become_python_scalars():
    back = roundtrip([np.float32(1.5), np.float64(2.25), np.int64(-3), np.uint8(7),
                      np.bool_(True), np.complex128(1 + 2j), np.str_("k")])
    assert back == [1.5, 2.25, -3, 7, True, 1 + 2j, "k"]
    assert [type(v) for v in back] == [float, float, int, int, bool, complex, str]


def test_handles_round_trip_and_equal_nothing_else():
    h = roundtrip(Handle(3, "submission.KNearestNeighbor"))
    assert h == Handle(3, "submission.KNearestNeighbor")
    assert h != Handle(4, "submission.KNearestNeighbor")
    assert h != 3 and h != 3.0 and h != "submission.KNearestNeighbor"
    assert not (h == pytest.approx(3.0))


@pytest.mark.parametrize("value, name", [
    (np.array([1, "a", None], dtype=object), "object"),
    (np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]), "('a'"),
    (np.zeros(2, dtype=[("a", "f8"), ("o", "O")]), "('o'"),
    (np.array(["ab", "c"]), "<U2"),
    (Foo(), "Foo"),
    (lambda x: x, "function"),
    ({1, 2}, "set"),
    (frozenset([1]), "frozenset"),
    (b"bytes", "bytes"),
    ([1, [2, Foo()]], "Foo"),
    ({"k": AlwaysEqual()}, "AlwaysEqual"),
    ({Foo(): 1}, "Foo"),
    (np.float64, "type"),
])
def test_non_plain_values_are_refused_by_name(value, name):
    with pytest.raises(ProtocolError) as exc:
        encode(value)
    assert name in str(exc.value)


def test_nesting_depth_is_capped_and_cycles_refused():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ProtocolError, match="deep"):
        encode(deep)
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ProtocolError):
        encode(cycle)
    with pytest.raises(ProtocolError):
        decode(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    with pytest.raises(ProtocolError, match="deep"):
        decode(json.dumps(deep).encode())


def test_size_cap_on_both_sides(monkeypatch):
    monkeypatch.setattr(protocol, "MAX_MESSAGE_BYTES", 10_000)
    encode(np.zeros(500))  # 4 KB: fine
    with pytest.raises(ProtocolError, match="exceeds"):
        encode(np.zeros(5000))
    with pytest.raises(ProtocolError, match="exceeds"):
        decode(b'"' + b"x" * 20_000 + b'"\n')
    monkeypatch.setattr(protocol, "MAX_ITEMS", 100)
    with pytest.raises(ProtocolError, match="items"):
        decode(b"[" + b"0," * 200 + b"0]\n")
    assert decode(b"[" + b"0," * 50 + b"0]\n") == [0] * 51


def npy_tag(raw: bytes) -> bytes:
    return json.dumps({"$nd": base64.b64encode(raw).decode()}).encode() + b"\n"


def test_pickled_object_array_is_never_unpickled():
    calls = []

    class Boom:
        def __reduce__(self):
            return (calls.append, ("unpickled",))

    buf = io.BytesIO()
    np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="object"):
        decode(npy_tag(buf.getvalue()))
    assert calls == []


def test_lying_array_header_is_refused_before_allocating():
    header = {"descr": "<f8", "fortran_order": False, "shape": (10 ** 13,)}
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    raw = out.getvalue() + np.zeros(4).tobytes()
    with pytest.raises(ProtocolError, match="announces"):
        decode(npy_tag(raw))


@pytest.mark.parametrize("line", [
    b"not json\n", b'{"a": 1, "b": 2}\n', b'{"$unknown": 1}\n', b'{"$nd": 5}\n',
    b'{"$nd": "!!!"}\n', b'{"$nd": "AAAA"}\n', b'{"$dict": [[[1], 2]]}\n',
    b'{"$float": "1.5"}\n', b'{"$handle": ["1", "x"]}\n', b'NaN\n', b'{"$complex": [1, "a"]}\n',
])
def test_malformed_messages_are_refused(line):
    with pytest.raises(ProtocolError):
        decode(line)


def test_to_wire_turns_top_level_objects_into_handles():
    table = HandleTable()
    obj = Foo()
    h = to_wire(obj, table)
    assert isinstance(h, Handle) and h.type_name.endswith("Foo")
    assert table.get(h) is obj
    assert to_wire(obj, table) == h  # same object, same handle
    assert to_wire(Foo(), table) != h
    with pytest.raises(ProtocolError, match="unknown handle"):
        table.get(Handle(99, "x"))


def test_always_equal_object_cannot_pass_for_a_value():
    table = HandleTable()
    back = decode(encode(to_wire(AlwaysEqual(), table)))
    assert isinstance(back, Handle)
    assert back != 1.0 and back != [1, 2] and back != "expected"
    with pytest.raises(ProtocolError, match="AlwaysEqual"):
        to_wire([AlwaysEqual()], table)
    # a float subclass that claims equality crosses as its real value only
    f = decode(encode(to_wire(EqualFloat(2.0), table)))
    assert type(f) is float and f == 2.0 and f != 3.0


def test_numpy_subclass_arrives_as_plain_ndarray():
    arr = np.arange(4.0).view(SneakyArray)
    back = decode(encode(to_wire(arr, HandleTable())))
    assert type(back) is np.ndarray
    assert (back == np.array([0.0, 1.0, 2.0, 5.0])).tolist() == [True, True, True, False]
    assert not np.allclose(back, np.zeros(4))


def test_to_wire_refuses_nested_object_arrays_and_converts_containers():
    table = HandleTable()
    with pytest.raises(ProtocolError, match="object"):
        to_wire((1.0, np.array([Foo()], dtype=object)), table)
    with pytest.raises(ProtocolError, match="object"):
        to_wire(np.array([1, None], dtype=object), table)
    Pair = namedtuple("Pair", "loss grad")
    back = decode(encode(to_wire(Pair(1.0, np.ones(2)), table)))
    assert type(back) is tuple and back[0] == 1.0 and np.array_equal(back[1], np.ones(2))

    class MyDict(dict):
        def __eq__(self, other):
            return True

    back = decode(encode(to_wire(MyDict(a=1), table)))
    assert type(back) is dict and back == {"a": 1} and back != {"a": 2}


def test_forged_npy_headers_raise_only_protocol_errors():
    """Does every corruption of an array's bytes give a ProtocolError (never another exception)?"""
    rng = np.random.default_rng(5)
    good = io.BytesIO()
    np.lib.format.write_array(good, np.arange(12.0).reshape(3, 4), allow_pickle=False)
    raw = good.getvalue()
    others = []
    for trial in range(600):
        data = bytearray(raw)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, 128))               # the header (and the first values)
            data[pos] = int(rng.integers(0, 256))
        try:
            decode(npy_tag(bytes(data)))
        except ProtocolError:
            pass
        except Exception as exc:  # noqa: BLE001 - exactly what must not happen
            others.append(f"{type(exc).__name__}: {exc}")
    for header in ["{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 4), }",
                   "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 'a'), }",
                   "{'descr': 'x9', 'fortran_order': False, 'shape': (3,), }",
                   "{'descr': '<f8', 'fortran_order': 2, 'shape': (3,), }", "[1, 2]", "{" * 50]:
        body = header.encode().ljust(118) + b"\n"
        data = b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body + bytes(96)
        try:
            decode(npy_tag(data))
        except ProtocolError:
            pass
        except Exception as exc:  # noqa: BLE001
            others.append(f"{header}: {type(exc).__name__}: {exc}")
    assert not others, others[:5]


def test_decode_turns_any_internal_failure_into_a_protocol_error(monkeypatch):
    """Negative control for the wrapper: an unexpected exception inside decoding still comes out as ProtocolError."""
    monkeypatch.setattr(protocol, "_array_from_wire", lambda text: 1 / 0)
    with pytest.raises(ProtocolError, match="ZeroDivisionError"):
        decode(b'{"$nd": "AAAA"}\n')


def test_encode_refuses_what_decode_would_refuse(monkeypatch):
    """Does the worker's encode refuse a value with more items than decode accepts (so the student is told why)?"""
    monkeypatch.setattr(protocol, "MAX_ITEMS", 10)
    encode(list(range(11)))                      # 10 separators: accepted by both sides
    decode(encode(list(range(11))))
    with pytest.raises(ProtocolError, match="more than 10 items"):
        encode(list(range(12)))
