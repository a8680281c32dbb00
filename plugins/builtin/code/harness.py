"""The harness: the program's side of call and assert tests. It loads the program and calls its functions.

Like the runner, this file runs as a script (standard library only, Python 3.9+, after
:mod:`.plain`'s source) and never in the trainer. The process it runs in belongs to the program,
which can change anything in it; so it holds no expected value and decides no verdict. It reads
one JSON request per line and writes one reply per line:

- ``{"id": n, "call": name, "args": [...], "kwargs": {...}}`` (plain data): calls the program's
  function ``name`` (a top-level function, else a method of a fresh ``Solution()``, LeetCode
  style) and replies ``{"id": n, "ok": true, "value": <plain data>}``, with ``"args"``: the
  arguments as the call left them, when it changed them in place;
- ``{"id": n, "exec": "<test code>"}``: runs test code in the program's namespace, for the tests
  the checker cannot run outside (see :mod:`.checker`): its verdict is the program's word;
- a failure replies ``{"id": n, "ok": false, "error": "...", "type": <exception name>}``.

Every reply also lists, under ``"tampered"``, what the program changed of what a harness relies
on (builtins, ``json``, ``os.write``...): the checker reports it as an attack on the harness.
The program runs with ``__name__ == "solution"`` (its ``if __name__ == "__main__":`` demo code
does not run) and an empty stdin.
"""

from __future__ import annotations

import builtins
import json
import os
import sys

if __package__:  # imported by rewardkit; in the sandbox plain.py's source runs before this file's
    from .plain import decode, dumps, encode, loads

REQUEST_BYTES = 1 << 26  # a longer request line is not from the checker
WATCHED = {"builtins": builtins, "json": json, "os": os, "sys": sys}
WATCHED_ATTRIBUTES = {
    "json": ("dumps", "loads", "JSONEncoder", "JSONDecoder"),
    "os": ("write", "read", "fdopen", "_exit"),
    "sys": ("exit",),
}
_exec, _compile, _write, _read = exec, compile, os.write, os.read  # the real ones, kept before any program runs


def load(code) -> tuple:
    """The program's namespace after running ``code`` (its text or code object), and why it
    failed to load (or None)."""
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        _exec(_compile(code, "solution.py", "exec") if isinstance(code, str) else code, namespace)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return namespace, f"the program failed while loading: {_describe(exc)}"
    return namespace, None


def find_function(namespace: dict, name: str):
    """The function ``name`` at the program's top level, else a method of a fresh ``Solution()``
    (LeetCode style), else a class ``name`` (called, it makes an object)."""
    function = namespace.get(name)
    if callable(function) and not isinstance(function, type):
        return function
    solution = namespace.get("Solution")
    if isinstance(solution, type) and hasattr(solution, name):
        return getattr(solution(), name)
    if callable(function):
        return function
    raise NameError(f"the program defines no function or Solution method named '{name}'")


def answer(namespace: dict, request: dict) -> dict:
    """Run one request in the program's namespace; the reply to send."""
    reply = {"id": request.get("id")}
    try:
        if "call" in request:
            function = find_function(namespace, request["call"])
            args = [decode(a) for a in request.get("args", [])]
            kwargs = {k: decode(v) for k, v in request.get("kwargs", {}).items()}
            reply.update(ok=True, value=encode(function(*args, **kwargs)))
            after = encode(args)
            if after != request.get("args", []):  # it changed its arguments in place: the test may look
                reply["args"] = after
        else:
            _exec(_compile(request["exec"], "test.py", "exec"), namespace)
            reply["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - a function that calls sys.exit() fails like any other
        reply.update(ok=False, error=_describe(exc), type=type(exc).__name__)
    return reply


def _describe(exc: BaseException) -> str:
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class Watch:
    """What a harness relies on, as it was before the program ran; :meth:`changed` names what the
    program replaced since."""

    def __init__(self) -> None:
        self.builtins = dict(vars(builtins))
        self.attributes = {(m, a): getattr(WATCHED[m], a, None) for m, names in WATCHED_ATTRIBUTES.items() for a in names}
        self.modules = {name: sys.modules.get(name) for name in WATCHED}

    def changed(self) -> list:
        found = [f"builtins.{k}" for k, v in self.builtins.items() if vars(builtins).get(k) is not v]
        found += [f"{m}.{a}" for (m, a), v in self.attributes.items() if getattr(WATCHED[m], a, None) is not v]
        found += [f"sys.modules[{n!r}]" for n, module in self.modules.items() if sys.modules.get(n) is not module]
        return sorted(found)


def serve(requests_fd: int, replies_fd: int, code) -> None:
    """Load the program, then answer requests until the request pipe closes."""
    watch = Watch()
    namespace, failure = load(code)
    pending = b""
    while True:
        chunk = _read(requests_fd, 65536)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            request = loads(line)
            reply = {"id": request.get("id"), "ok": False, "error": failure} if failure else answer(namespace, request)
            tampered = watch.changed()
            if tampered:
                reply["tampered"] = tampered
            _send(replies_fd, reply)
        if len(pending) > REQUEST_BYTES:
            return


def _send(fd: int, reply: dict) -> None:
    try:
        data = (dumps(reply) + "\n").encode()
    except BaseException as exc:  # noqa: BLE001 - a value the program made unserialisable
        data = (dumps({"id": reply.get("id"), "ok": False, "error": _describe(exc)}) + "\n").encode()
    while data:
        data = data[_write(fd, data) :]
