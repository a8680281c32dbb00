"""The checker: the trusted side of call and assert tests, in a process the program cannot reach.

It holds the tests (their code, their expected values) and decides every verdict; the program's
process (:mod:`.harness`) only ever receives the arguments of a call and sends back its return
value as plain data (:mod:`.plain`). Like the runner, this file runs as a script (standard
library only, Python 3.9+, after :mod:`.plain`'s source): in the local sandbox in a process the
runner's zygote forks (not dumpable, so a program can neither read its memory nor open its pipes
through ``/proc``); for a service, as the parent of the program's process in one run (see
:func:`~.sandbox.driver`).

- A **call test** (APPS, TACO, LiveCodeBench's ``fn_name``) calls the function with the test's
  arguments and compares the value with :func:`same_value`.
- An **assert test** (HumanEval, MBPP) runs its test code here, where every name the code uses
  but does not define (``candidate``'s function, MBPP's function under test, a helper such as
  HumanEval's ``poly``) stands for the program's function of that name: calling it sends the
  arguments to the program and returns the value it sent back, decoded here. The comparisons,
  ``abs(...) < tol``, ``math.isclose`` and any other code of the test run on values this side
  built, so no ``__eq__``, patched builtin or fake reply of the program's can pass a test.
  A builtin name or a standard library module the code uses without importing is the real one.
- What cannot run outside: test code that passes an object of its own to the program (not plain
  data) or reads an attribute of the program's function. Such a test runs inside the program's
  process instead, as every HumanEval harness runs them, and its verdict is marked ``unchecked``:
  the program could fake it.

Each verdict lists the ``attacks`` seen: what the program replaced of the harness (builtins,
``json``...), lines it wrote on the reply channel itself, exits during a call, and returned
objects whose class overrides a comparison.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import sys

if __package__:  # imported by rewardkit; in the sandbox plain.py's source runs before this file's
    from .plain import NotPlain, decode, dumps, encode, loads, overriding

PASSED, FAILED, ERROR = "passed", "failed", "error"
REPLY_BYTES = 1 << 20  # default bound of one reply line
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
NOT_JSON = object()


class CannotCheckOutside(BaseException):  # not an Exception: test code catching those must not swallow it
    """The test needs the program's own objects: it must run in the program's process."""


class ProgramError(Exception):
    """The program's function raised (or its process ended): the test errs."""


_RAISED: dict = {}


def program_error(kind: str, message: str) -> ProgramError:
    """The exception a call raises in the test code: a ProgramError that is also the built-in
    exception the program raised (so a test expecting ``ValueError`` catches it), never an
    ``AssertionError`` (the program's own assert failing is an error, not the test's verdict)."""
    base = getattr(builtins, kind, None)
    if not (isinstance(base, type) and issubclass(base, Exception)) or issubclass(base, AssertionError):
        return ProgramError(message)
    if kind not in _RAISED:
        try:
            _RAISED[kind] = type(kind, (base, ProgramError), {})
        except TypeError:  # a built-in exception whose layout cannot be combined
            _RAISED[kind] = ProgramError
    return _RAISED[kind](message)


class Channel:
    """The pipes to the program's process: one request line out, one reply line back, read
    strictly and bounded. What the program wrote there that answers nothing is noted as an attack."""

    def __init__(self, requests_fd: int, replies_fd: int, report=None) -> None:
        self.requests_fd, self.replies_fd = requests_fd, replies_fd
        self.report = report  # called with each attack as it is seen (a test that then times out still shows it)
        self.pending = b""
        self.next_id = 0
        self.reply_bytes = REPLY_BYTES
        self.attacks: set = set()
        self.cannot_check = False

    def attack(self, what: str) -> None:
        if what not in self.attacks:
            self.attacks.add(what)
            if self.report is not None:
                self.report(what)

    def ask(self, request: dict) -> dict:
        self.next_id += 1
        request = {**request, "id": self.next_id}
        data = (dumps(request) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.requests_fd, data) :]
        except OSError:
            raise ProgramError("the program's process ended") from None
        while True:
            reply = self._line()
            if isinstance(reply, dict) and reply.get("id") == self.next_id and isinstance(reply.get("ok"), bool):
                tampered = reply.get("tampered")
                if isinstance(tampered, list) and tampered:
                    self.attack("replaced " + ", ".join(str(t)[:60] for t in tampered[:8]))
                return reply
            self.attack("wrote on the harness's reply channel")

    def _line(self):
        while b"\n" not in self.pending:
            if len(self.pending) > self.reply_bytes:
                raise ProgramError(f"a reply longer than {self.reply_bytes} bytes")
            chunk = os.read(self.replies_fd, 65536)
            if not chunk:
                raise ProgramError("the program's process ended")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        try:
            return loads(line)
        except NotPlain:
            return None


class Remote:
    """The program's function ``name``, as the test code calls it: arguments out, plain data back."""

    __slots__ = ("_channel", "_name")

    def __init__(self, channel: Channel, name: str) -> None:
        self._channel, self._name = channel, name

    def __call__(self, *args, **kwargs):
        channel = self._channel
        original = args
        try:
            args = encode(list(args), strict=True)
            kwargs = {k: encode(v, strict=True) for k, v in kwargs.items()}
        except NotPlain:
            channel.cannot_check = True
            raise CannotCheckOutside(f"{self._name}() is called with an object that is not plain data") from None
        reply = channel.ask({"call": self._name, "args": args, "kwargs": kwargs})
        if not reply["ok"]:
            kind = str(reply.get("type", ""))
            if kind in ("SystemExit", "KeyboardInterrupt"):
                channel.attack(f"raised {kind} during a call")
            raise program_error(kind, str(reply.get("error", "")) or "the program failed")
        try:
            value = decode(reply.get("value"))
        except NotPlain as exc:
            channel.attack("sent a reply that is not plain data")
            raise ProgramError(str(exc)) from None
        for kind, names in overriding(reply.get("value")):
            channel.attack(f"returned an object of class {kind}, which overrides {', '.join(names)}")
        if "args" in reply:  # the function changed its arguments in place: so do the test's own
            _write_back(original, reply["args"])
        return value

    def __getattr__(self, attribute: str):
        self._channel.cannot_check = True
        raise CannotCheckOutside(f"the test reads {self._name}.{attribute}")

    def __repr__(self) -> str:
        return f"<the program's {self._name}>"


def _write_back(arguments: tuple, after) -> None:
    """Give each list, dict or set of ``arguments`` the contents the program's call left in its copy
    (plain data, ``after`` encoded), as an in-place change would have."""
    try:
        changed = decode(after)
    except NotPlain:
        return
    if not isinstance(changed, list) or len(changed) != len(arguments):
        return
    for argument, new in zip(arguments, changed):
        if isinstance(argument, list) and isinstance(new, list):
            argument[:] = new
        elif isinstance(argument, (dict, set)) and type(new) is type(argument):
            argument.clear()
            argument.update(new)


def free_names(code: str) -> dict:
    """Names ``code`` reads but never binds, other than builtins and dunder names, each mapped to
    whether the code only reads attributes of it (``math.isclose``: a module it did not import)."""
    loaded, bound, whole = set(), set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Name):
                    whole.add(child.id)  # used other than as ``name.attribute``
    free = {n for n in loaded - bound if not n.startswith("__") and not hasattr(builtins, n)}
    return {n: n not in whole for n in free}


def check_assert(channel: Channel, code: str, setup: str = "") -> dict:
    """Run assert test ``code`` (after ``setup``) here against the program's functions; the
    verdict. When it cannot run outside, it runs in the program's process, marked unchecked."""
    namespace: dict = {"__name__": "__test__", "__builtins__": builtins}
    try:
        names = free_names(f"{setup}\n{code}")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return {"status": ERROR, "error": f"the test code does not compile: {exc}"}
    for name, attributes_only in sorted(names.items()):
        namespace[name] = (attributes_only and _module(name)) or Remote(channel, name)
    channel.cannot_check = False
    try:
        exec(compile(f"{setup}\n{code}", "test.py", "exec"), namespace)
        verdict = {"status": PASSED}
    except CannotCheckOutside:
        verdict = {}
    except ProgramError as exc:
        verdict = {"status": ERROR, "error": str(exc)}
    except AssertionError as exc:
        verdict = {"status": FAILED, "error": _describe(exc)}
    except BaseException as exc:  # noqa: BLE001 - the test code's own failure, or the program's
        verdict = {"status": ERROR, "error": _describe(exc)}
    if channel.cannot_check:  # even where the test code caught it: the test did not run as written
        verdict = _in_program(channel, code)
    return verdict


def _module(name: str):
    if name not in STDLIB:
        return None
    try:
        return __import__(name)
    except ImportError:
        return None


def _in_program(channel: Channel, code: str) -> dict:
    try:
        reply = channel.ask({"exec": code})
    except ProgramError as exc:
        return {"status": ERROR, "error": str(exc), "unchecked": True}
    if reply["ok"]:
        return {"status": PASSED, "unchecked": True}
    status = FAILED if reply.get("type") == "AssertionError" else ERROR
    return {"status": status, "error": str(reply.get("error", "")), "unchecked": True}


def check_call(channel: Channel, fn_name: str, args, expected, tolerance: float = 0.0) -> dict:
    """Call ``fn_name`` with ``args`` and compare its value with ``expected``: the verdict."""
    if not isinstance(args, list):
        args = [args]
    try:
        value = Remote(channel, fn_name)(*args)
    except ProgramError as exc:
        return {"status": ERROR, "error": str(exc)}
    except CannotCheckOutside as exc:  # arguments from JSON are always plain: a malformed row
        return {"status": ERROR, "error": str(exc)}
    actual = as_json(value)
    shown = repr(value) if actual is NOT_JSON else json.dumps(actual)
    passed = actual is not NOT_JSON and same_value(expected, actual, tolerance)
    return {"status": PASSED if passed else FAILED, "actual": shown}


def as_json(value):
    """``value`` as the JSON a return value is compared as (tuples are lists); NOT_JSON when JSON
    cannot carry it (a set, an object, a non-finite number)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return NOT_JSON


def same_value(expected, actual, float_tolerance: float = 0.0) -> bool:
    """Whether a function's return value ``actual`` (decoded from JSON) answers ``expected``.

    Tuples arrive as lists; an expected one-element list also accepts its element (APPS and TACO
    store a call's output as ``[value]``); numbers within ``float_tolerance`` (when > 0) are equal.
    """
    if _equal(expected, actual, float_tolerance):
        return True
    return isinstance(expected, list) and len(expected) == 1 and _equal(expected[0], actual, float_tolerance)


def _equal(a, b, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return tolerance > 0 and abs(a - b) <= tolerance * max(1.0, abs(a))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], tolerance) for k in a)
    return type(a) is type(b) and a == b


def check(channel: Channel, job: dict) -> dict:
    """The verdict on one test job (``kind`` call or assert), with the attacks seen during it."""
    channel.attacks = set()
    channel.reply_bytes = int(job.get("reply_bytes") or REPLY_BYTES)
    if job["kind"] == "call":
        verdict = check_call(channel, job["fn_name"], job["input"], job.get("output"), job.get("float_tolerance", 0.0))
    else:
        verdict = check_assert(channel, job["input"], job.get("setup") or "")
    if channel.attacks:
        verdict["attacks"] = sorted(channel.attacks)
    return verdict


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def serve(jobs_fd: int, verdicts_fd: int, requests_fd: int, replies_fd: int) -> None:
    """The checker process's loop: one job line in; ``{"attack": ...}`` lines as attacks are seen,
    then one verdict line out; until the jobs end."""

    def send(message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(verdicts_fd, data) :]

    channel = Channel(requests_fd, replies_fd, lambda what: send({"attack": what}))
    pending = b""
    while True:
        chunk = os.read(jobs_fd, 1 << 20)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            send(check(channel, json.loads(line)))
