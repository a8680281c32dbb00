"""The harness: loads a Python program in its own process and runs call and assert tests in it.

Like the runner, this file runs as a script (standard library only, Python 3.8+) and never in
the trainer. Two ways:

- ``python -I -c <this source> REQUESTS_FD REPLIES_FD`` (the local sandbox's runner): reads the
  setup line (``{"code", "fn_name"}``), loads the program once, then answers one JSON line per
  request line: ``{"call": [args...]}`` gives ``{"ok": true, "value": <return value as JSON>}``,
  ``{"exec": "<test code>"}`` gives ``{"ok": true}``; a failure gives ``{"ok": false, "error":
  "...", "assertion": <whether an assert failed>}``.
- :func:`driver` (services that run one program per request): the program and one request
  wrapped in a script that prints the reply on a line after a marker.

The program runs with ``__name__ == "solution"`` (its ``if __name__ == "__main__":`` demo code
does not run) and an empty stdin. A return value is sent as JSON (tuples as lists); a value JSON
cannot carry (a set, an object whose ``__eq__`` always says yes) is sent as its ``repr`` in a
``{"__repr__": ...}`` object, which equals no expected value.
"""

from __future__ import annotations

import builtins
import json
import os
import sys

REPR_CHARS = 200


def load(code) -> tuple:
    """The program's namespace after running ``code`` (its text or code object), and why it
    failed to load (or None)."""
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(code, "solution.py", "exec") if isinstance(code, str) else code, namespace)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return namespace, f"the program failed while loading: {_describe(exc)}"
    return namespace, None


def find_function(namespace: dict, name: str):
    """``name`` at the program's top level, else a method of a fresh ``Solution()`` (LeetCode style)."""
    function = namespace.get(name)
    if callable(function) and not isinstance(function, type):
        return function
    solution = namespace.get("Solution")
    if isinstance(solution, type) and hasattr(solution, name):
        return getattr(solution(), name)
    raise NameError(f"the program defines no function or Solution method named '{name}'")


def answer(namespace: dict, fn_name, request: dict) -> dict:
    """Run one request in the program's namespace; the reply to send."""
    try:
        if "call" in request:
            value = find_function(namespace, fn_name)(*request["call"])
            return {"ok": True, "value": _jsonable(value)}
        exec(compile(request["exec"], "test.py", "exec"), namespace)
        return {"ok": True}
    except BaseException as exc:  # noqa: BLE001 - a test that calls sys.exit() fails like any other
        return {"ok": False, "error": _describe(exc), "assertion": isinstance(exc, AssertionError)}


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _jsonable(value):
    try:
        return json.loads(json.dumps(value, allow_nan=True))
    except (TypeError, ValueError, RecursionError):
        try:
            shown = repr(value)[:REPR_CHARS]
        except BaseException:  # noqa: BLE001 - a hostile __repr__
            shown = f"<{type(value).__name__}>"
        return {"__repr__": shown}


def serve(requests_fd: int, replies_fd: int, code, fn_name) -> None:
    """Load the program, then answer requests from the runner until it closes the request pipe."""
    requests = os.fdopen(requests_fd, "rb")
    replies = os.fdopen(replies_fd, "wb")
    namespace, failure = load(code)
    for line in requests:
        reply = {"ok": False, "error": failure} if failure else answer(namespace, fn_name, json.loads(line))
        replies.write((json.dumps(reply) + "\n").encode())
        replies.flush()
