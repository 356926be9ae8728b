"""Wire format between the trusted grader and the untrusted worker process.

One message is one JSON document on one line. Only plain data can be written or read:

* ``None``, ``bool``, ``int``, ``str`` and lists: as JSON.
* ``float``: a JSON number; nan and +-inf as ``{"$float": "nan" | "inf" | "-inf"}``.
* ``complex``: ``{"$complex": [re, im]}``.
* ``tuple``: ``{"$tuple": [...]}`` (comes back as a tuple).
* ``dict``: ``{"$dict": [[key, value], ...]}``; keys may be str, int, float, bool, None or
  tuples of those (so ``{1: [0.5]}`` and ``{(1e-7, 2.5e4): (0.3, 0.31)}`` round-trip).
* numpy arrays of bool/int/uint/float/complex dtype: ``{"$nd": base64 of the .npy bytes}``,
  written with ``allow_pickle=False``; the header is checked before any memory is
  allocated and the result is always a plain, writable ``np.ndarray`` (subclasses are
  flattened to ndarray on the way out).
* numpy scalars are sent as the equivalent Python scalar (``np.float32(1.5)`` -> ``1.5``,
  ``np.int64(3)`` -> ``3``, ``np.bool_`` -> ``bool``): the value is kept, the numpy type is
  not. Send a 0-d array when the dtype matters.
* :class:`Handle`: ``{"$handle": [id, type_name]}``, a reference to an object that lives in
  the worker.

Everything else (sets, bytes, functions, custom classes, object or structured arrays, ...)
raises :class:`ProtocolError` naming the type. Nothing is ever unpickled. Decoding is the
security gate: whatever the worker writes, :func:`decode` returns only the types above.
"""
from __future__ import annotations

import base64
import binascii
import functools
import io
import json
import math
from dataclasses import dataclass

import numpy as np

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # one encoded message, newline included
MAX_DEPTH = 100                       # nesting of lists/tuples/dicts
MAX_ITEMS = 4_000_000                 # JSON separators in one message (bounds decode memory)
ARRAY_KINDS = "biufc"                 # bool, int, uint, float, complex
EXIT_MEMORY = 75                      # worker exit status: out of memory in its own loop
EXIT_CHANNEL = 74                     # worker exit status: its response channel is gone

_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_KEY_TYPES = (str, int, float, bool, type(None))


class ProtocolError(ValueError):
    """A value that may not cross the process boundary, or a malformed message."""


@dataclass(frozen=True)
class Handle:
    """Reference to an object that lives in the worker (e.g. a student's classifier).

    Only equal to another Handle with the same id and type name; never to a number, a
    string or an array, so it cannot pass for an expected value.
    """

    id: int
    type_name: str


def _type_name(value) -> str:
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _refuse(value) -> ProtocolError:
    return ProtocolError(f"a value of type {_type_name(value)} cannot cross the process "
                         "boundary (only numbers, strings, lists, tuples, dicts and "
                         "numeric numpy arrays can)")


def _array_to_wire(value: np.ndarray) -> dict:
    arr = np.asarray(value).view(np.ndarray)  # drop any subclass behaviour
    if arr.dtype.kind not in ARRAY_KINDS or arr.dtype.fields is not None:
        raise ProtocolError(f"a numpy array of dtype {arr.dtype} cannot cross the process "
                            "boundary (only bool, int, uint, float and complex arrays can)")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    if buf.tell() > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"array of {buf.tell()} bytes exceeds the message limit")
    return {"$nd": base64.b64encode(buf.getbuffer()).decode("ascii")}


def _check_array(value: np.ndarray) -> None:
    dtype = np.asarray(value).dtype
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
        raise ProtocolError(f"a numpy array of dtype {dtype} cannot cross the process "
                            "boundary (only bool, int, uint, float and complex arrays can)")


def _to_json(value, depth: int, nd=_array_to_wire):
    """Plain value -> JSON-able tree (tags for everything JSON cannot say exactly).

    ``nd`` converts arrays; :func:`to_wire` passes a checker to validate without copying.
    """
    if depth > MAX_DEPTH:
        raise ProtocolError(f"value nested deeper than {MAX_DEPTH} levels")
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if t is complex:
        return {"$complex": [_to_json(value.real, depth), _to_json(value.imag, depth)]}
    if t is list:
        return [_to_json(v, depth + 1, nd) for v in value]
    if isinstance(value, tuple):  # tuple and namedtuples
        return {"$tuple": [_to_json(v, depth + 1, nd) for v in value]}
    if isinstance(value, dict):
        items = []
        for k, v in dict.items(value):
            if not _is_key(k):
                raise ProtocolError(f"dict key of type {_type_name(k)} cannot cross the "
                                    "process boundary")
            items.append([_to_json(k, depth + 1, nd), _to_json(v, depth + 1, nd)])
        return {"$dict": items}
    if isinstance(value, np.ndarray):
        return nd(value)
    if isinstance(value, np.generic):
        if value.dtype.kind not in ARRAY_KINDS + "U":
            raise _refuse(value)
        return _to_json(value.item(), depth, nd)
    if isinstance(value, Handle):
        return {"$handle": [int(value.id), str(value.type_name)]}
    if isinstance(value, (bool, int)):  # subclasses: keep the plain value
        return int(value)
    if isinstance(value, float):
        return _to_json(float(value), depth, nd)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [_to_json(v, depth + 1, nd) for v in list(value)]
    raise _refuse(value)


def _is_key(k) -> bool:
    if type(k) in _KEY_TYPES:
        return True
    return type(k) is tuple and all(_is_key(x) for x in k)


def encode(value) -> bytes:
    """Encode one plain value as a newline-terminated JSON document.

    Raises ProtocolError for a value that is not plain, nested deeper than MAX_DEPTH, or
    larger than MAX_MESSAGE_BYTES once encoded.
    """
    try:
        tree = _to_json(value, 0)
    except RecursionError:
        raise ProtocolError("value nested too deeply") from None
    data = json.dumps(tree, allow_nan=False, separators=(",", ":")).encode("utf-8") + b"\n"
    if data.count(b",") > MAX_ITEMS:
        raise ProtocolError(f"value has more than {MAX_ITEMS} items (the limit of one message)")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes exceeds the limit of "
                            f"{MAX_MESSAGE_BYTES} bytes")
    return data


@functools.lru_cache(maxsize=256)
def _npy_header(header: bytes):
    """(shape, fortran_order, dtype) of a .npy header (cached: headers repeat)."""
    f = io.BytesIO(header)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            result = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            result = np.lib.format.read_array_header_2_0(f)
        else:
            raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as exc:  # malformed header
        raise ProtocolError(f"malformed .npy header: {exc}") from None
    if f.tell() != len(header):
        raise ProtocolError("malformed .npy header")
    return result


def _array_from_wire(text) -> np.ndarray:
    if not isinstance(text, str):
        raise ProtocolError("malformed array")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("malformed base64 in array") from None
    if len(data) < 12 or data[6:7] not in (b"\x01", b"\x02"):
        raise ProtocolError("malformed .npy data")
    if data[6] == 1:
        offset = 10 + int.from_bytes(data[8:10], "little")
    else:
        offset = 12 + int.from_bytes(data[8:12], "little")
    if offset > len(data) or offset > 100_000:
        raise ProtocolError("malformed .npy header")
    shape, fortran, dtype = _npy_header(data[:offset])
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject:
        raise ProtocolError(f"a numpy array of dtype {dtype} cannot cross the process "
                            "boundary (only bool, int, uint, float and complex arrays can)")
    count = math.prod(shape)
    if count * dtype.itemsize != len(data) - offset:
        raise ProtocolError(f"array data has {len(data) - offset} bytes, its header "
                            f"announces {count * dtype.itemsize}")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")


def _from_json(node, depth: int):
    if depth > MAX_DEPTH:
        raise ProtocolError(f"message nested deeper than {MAX_DEPTH} levels")
    t = type(node)
    if node is None or t is bool or t is int or t is float or t is str:
        return node
    if t is list:
        return [_from_json(v, depth + 1) for v in node]
    if t is not dict or len(node) != 1:
        raise ProtocolError("malformed message (unexpected JSON object)")
    (tag, body), = node.items()
    if tag == "$float" and body in _FLOATS:
        return _FLOATS[body]
    if tag == "$complex" and type(body) is list and len(body) == 2:
        re, im = (_from_json(x, depth + 1) for x in body)
        if type(re) is float and type(im) is float:
            return complex(re, im)
    elif tag == "$tuple" and type(body) is list:
        return tuple(_from_json(v, depth + 1) for v in body)
    elif tag == "$dict" and type(body) is list:
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise ProtocolError("malformed dict entry")
            key = _from_json(pair[0], depth + 1)
            if not _is_key(key):
                raise ProtocolError(f"dict key of type {_type_name(key)} is not allowed")
            out[key] = _from_json(pair[1], depth + 1)
        return out
    elif tag == "$nd":
        return _array_from_wire(body)
    elif tag == "$handle" and type(body) is list and len(body) == 2:
        if type(body[0]) is int and type(body[1]) is str:
            return Handle(body[0], body[1])
    raise ProtocolError(f"malformed message (bad {tag!r} entry)")


def _no_constant(name):
    raise ValueError(f"{name} is not strict JSON")


def decode(line: bytes):
    """Decode one message written by :func:`encode`; only plain values come out.

    Raises ProtocolError for anything malformed, too large, too deep or not plain, and never
    any other exception.
    """
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(line)} bytes exceeds the limit of "
                            f"{MAX_MESSAGE_BYTES} bytes")
    if line.count(b",") > MAX_ITEMS:
        raise ProtocolError(f"message has more than {MAX_ITEMS} items")
    try:
        tree = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise ProtocolError("message nested too deeply") from None
    except ValueError as exc:
        raise ProtocolError(f"malformed message: {exc}") from None
    try:
        return _from_json(tree, 0)
    except ProtocolError:
        raise
    except RecursionError:
        raise ProtocolError("message nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - whatever a forged message trips on, it is a protocol error
        raise ProtocolError(f"malformed message ({type(exc).__name__}: {str(exc)[:200]})") from None


class HandleTable:
    """The worker's objects that the grader refers to by :class:`Handle`."""

    def __init__(self):
        self._objects: dict[int, object] = {}
        self._ids: dict[int, int] = {}  # id(obj) -> handle id (objects are kept alive)

    def add(self, obj) -> Handle:
        """Store obj (once) and return its handle."""
        hid = self._ids.get(id(obj))
        if hid is None:
            hid = len(self._objects) + 1
            self._objects[hid] = obj
            self._ids[id(obj)] = hid
        return Handle(hid, _type_name(obj))

    def get(self, handle: Handle):
        """The object behind handle; ProtocolError if this worker never issued it."""
        try:
            return self._objects[handle.id]
        except (KeyError, AttributeError):
            raise ProtocolError(f"unknown handle {handle!r}") from None


_PLAIN_TOP = (type(None), bool, int, float, complex, str, list, tuple, dict,
              np.ndarray, np.generic, Handle)


def to_wire(value, handles: HandleTable):
    """Worker side: prepare a call result for :func:`encode`.

    A top-level object that is not plain data (e.g. a ``KNearestNeighbor()`` instance, or
    an object whose ``__eq__`` is always true) is stored in ``handles`` and replaced by a
    Handle. Containers are checked completely; a non-plain object nested inside one raises
    ProtocolError (the caller reports it as an error result).
    """
    if not isinstance(value, _PLAIN_TOP):
        return handles.add(value)
    try:
        _to_json(value, 0, _check_array)  # raises ProtocolError for nested non-plain values
    except RecursionError:
        raise ProtocolError("value nested too deeply") from None
    return value
