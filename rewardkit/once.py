"""Objects made once and kept: the one helper behind rewardkit's process-wide singletons.

A module-level :class:`Once` is a process singleton (the event loop that drives async rewards
from synchronous code, the worker pools, the default math verifier, the language detectors, the
loaded reward models); one held by an instance makes that instance's heavy part on first use (a
detector backend's language model). Either way ``make(*key)`` runs once per key however threads
race, and an object that no longer serves (a closed pool, a dead thread: ``usable``) is made
again. An object that holds threads, locks or pipes does not survive a ``fork`` (a DataLoader
worker forked from a threaded trainer), so a forked child starts with nothing made, unless the
objects are plain data (``after_fork="keep"``: a loaded model).
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any, Callable, Generic, Literal, TypeVar

T = TypeVar("T")

_forgotten_after_fork: weakref.WeakSet[Once[Any]] = weakref.WeakSet()


class Once(Generic[T]):
    """``make(*key)``'s object for each key, made on first :meth:`get` and kept.

    >>> calls = []
    >>> square = Once(lambda n: calls.append(n) or n * n)
    >>> square.get(3), square.get(3), calls
    (9, 9, [3])
    """

    def __init__(
        self,
        make: Callable[..., T],
        *,
        usable: Callable[[T], bool] | None = None,
        after_fork: Literal["forget", "keep"] = "forget",
    ) -> None:
        self.make = make
        self.usable = usable
        self.after_fork = after_fork
        self._made: dict[tuple[Any, ...], T] = {}
        self._lock = threading.Lock()
        if after_fork == "forget":
            _forgotten_after_fork.add(self)

    def get(self, *key: Any) -> T:
        """The object for ``key``, made now if there is none (or the one there is no longer usable)."""
        made = self._made.get(key)
        if made is not None and (self.usable is None or self.usable(made)):
            return made
        with self._lock:
            made = self._made.get(key)
            if made is None or (self.usable is not None and not self.usable(made)):
                made = self._made[key] = self.make(*key)
            return made

    def made(self) -> list[T]:
        """Every object made so far (and not forgotten)."""
        with self._lock:
            return list(self._made.values())

    def forget(self) -> list[T]:
        """Forget every object made (the next :meth:`get` makes a new one); returns them."""
        with self._lock:
            made, self._made = list(self._made.values()), {}
        return made

    def __getstate__(self) -> dict[str, Any]:  # what was made stays in its process
        return {"make": self.make, "usable": self.usable, "after_fork": self.after_fork}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["make"], usable=state["usable"], after_fork=state["after_fork"])


def _forget_in_child() -> None:
    for once in list(_forgotten_after_fork):
        once._made, once._lock = {}, threading.Lock()  # a lock held at the fork would never be released


os.register_at_fork(after_in_child=_forget_in_child)
