"""Plain data: the only thing that crosses between a program's process and the side that judges it.

A call test's arguments go to the program and its return value comes back in this form, so the
judging side holds values it built itself, never an object of the program's. Like the runner,
this file runs as a script in the sandbox (standard library only, Python 3.9+); it is also
imported by rewardkit, which decodes what a service's run printed.

The format is JSON with the types JSON lacks written as one-key objects: ``{"tuple": [...]}``,
``{"set": [...]}``, ``{"frozenset": [...]}``, ``{"dict": [[key, value], ...]}`` (any plain
key), ``{"bytes": "<hex>"}``, ``{"complex": [re, im]}``, ``{"int": "<hex>"}`` (beyond 2**53),
``{"float": "<hex>"}`` (inf and nan). Only values of exactly these built-in types (and None,
bool, int, float, str, list) are plain. A subclass of one of them (a namedtuple, an
``OrderedDict``, numpy's ``float64``) and a numpy scalar are sent as their built-in value, so
their class's methods never run on the judging side; anything else (a generator, an instance of
the program's class) is sent as ``{"object": <type name>, "overrides": [...]}`` and decodes to
an :class:`Opaque` value that refuses every comparison, so it equals nothing. ``overrides``
names the comparison methods the value's class defines (sent with the built-in ``value`` for a
subclass): what an ``__eq__`` that always says yes looks like.
"""

from __future__ import annotations

import json
import math

DEPTH = 200  # nesting kept before a value counts as opaque
COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__", "__len__")
PROGRAM_MODULES = ("solution", "__main__")  # the module name of classes a program defines
_SAFE = 1 << 53  # ints within this are JSON numbers every reader keeps exactly
_BASES = (int, float, complex, str, bytes, list, tuple, set, frozenset, dict)


class NotPlain(TypeError):
    """A value that is not plain data, or a reply that is not in this format."""


class Opaque:
    """What a program returned that is not plain data: every comparison and truth test raises."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        object.__setattr__(self, "kind", kind)

    def _refuse(self, *args):
        raise NotPlain(f"the program returned an object of class {self.kind}, not plain data")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __hash__ = _refuse  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __getitem__ = _refuse
    __float__ = __int__ = __index__ = __abs__ = __neg__ = _refuse

    def __repr__(self) -> str:
        return f"<{self.kind} object>"


def encode(value, strict: bool = False, depth: int = 0):
    """``value`` as plain data; what is not plain becomes an opaque marker (``strict``: raises NotPlain)."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if -_SAFE < value < _SAFE else {"int": hex(value)}
    if kind is float:
        return value if math.isfinite(value) else {"float": value.hex()}
    if depth < DEPTH:
        if kind is list:
            return [encode(v, strict, depth + 1) for v in value]
        if kind is tuple or kind is set or kind is frozenset:
            items = [encode(v, strict, depth + 1) for v in value]
            return {kind.__name__: items}
        if kind is dict:
            return {"dict": [[encode(k, strict, depth + 1), encode(v, strict, depth + 1)] for k, v in value.items()]}
        if kind is bytes:
            return {"bytes": value.hex()}
        if kind is complex:
            return {"complex": [encode(value.real), encode(value.imag)]}
    if strict:
        raise NotPlain(f"a {kind.__name__} is not plain data")
    overrides = [name for name in COMPARISONS if _defines(kind, name)]
    marker = {"object": kind.__name__, "overrides": overrides}
    if depth < DEPTH:
        try:
            inner = _builtin_value(value)
        except Exception:  # noqa: BLE001 - a conversion the program's class broke: not plain
            inner = value
        if inner is not value:
            encoded = encode(inner, False, depth + 1)
            return {**marker, "value": encoded} if overrides else encoded
    return marker


def _builtin_value(value):
    """The built-in value of a subclass of a plain type or a numpy scalar; ``value`` otherwise."""
    base = next((b for b in _BASES if isinstance(value, b)), None)
    if base is not None:
        return base(value)
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


def _defines(kind: type, name: str) -> bool:
    """Whether a class the program wrote (``kind`` or a base of it) defines method ``name``."""
    return any(base.__module__ in PROGRAM_MODULES and vars(base).get(name) is not None for base in kind.__mro__)


def decode(data, depth: int = 0):
    """The value ``data`` (parsed JSON) stands for; NotPlain when it is not in this format."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        return data
    if depth >= DEPTH + 2:
        raise NotPlain("plain data nested too deep")
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1 and "object" not in data:
        raise NotPlain(f"not plain data: {type(data).__name__}")
    try:
        return _decode_tagged(data, depth)
    except (TypeError, ValueError, OverflowError) as exc:  # an unhashable key, a bad hex string...
        raise NotPlain(f"not plain data: {exc}") from None


def _decode_tagged(data: dict, depth: int):
    if "object" in data:
        if "value" in data:
            return decode(data["value"], depth + 1)
        return Opaque(str(data["object"])[:100])
    (tag, body), *_ = data.items()
    if tag in ("tuple", "set", "frozenset") and isinstance(body, list):
        items = [decode(v, depth + 1) for v in body]
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict" and isinstance(body, list):
        pairs = [(decode(p[0], depth + 1), decode(p[1], depth + 1)) for p in body if isinstance(p, list) and len(p) == 2]
        if len(pairs) != len(body):
            raise NotPlain("a dict's items must be [key, value] pairs")
        return dict(pairs)
    if tag == "bytes" and isinstance(body, str):
        return bytes.fromhex(body)
    if tag == "complex" and isinstance(body, list) and len(body) == 2:
        real, imag = (decode(v, depth + 1) for v in body)
        if type(real) is not float and type(real) is not int or type(imag) is not float and type(imag) is not int:
            raise NotPlain("a complex number's parts must be numbers")
        return complex(real, imag)
    if tag == "int" and isinstance(body, str):
        return int(body, 16)
    if tag == "float" and isinstance(body, str):
        return float.fromhex(body)
    raise NotPlain(f"not plain data: a {tag!r} object")


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))  # kept before any program could patch json


def dumps(value) -> str:
    """One line of JSON for already-encoded plain data (NaN and infinities never occur in it)."""
    return _ENCODER.encode(value)


def loads(line):
    """Parse one line of plain data sent by the other side: NotPlain when it is not JSON."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise NotPlain(f"not JSON: {type(exc).__name__}") from None


def overriding(data, depth: int = 0) -> list:
    """The (class name, comparison methods) of every value in ``data`` (encoded) whose class
    overrides a comparison."""
    found = []
    if depth > DEPTH + 2:
        return found
    if isinstance(data, dict):
        names = data.get("overrides") if "object" in data else None
        if isinstance(names, list) and names:
            found.append((str(data["object"])[:100], [str(n)[:20] for n in names[: len(COMPARISONS)]]))
        for value in data.values():
            found += overriding(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            found += overriding(value, depth + 1)
    return found[:8]
