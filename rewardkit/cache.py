"""A bounded, thread-safe LRU mapping: the one cache behind verdicts, parsed golds and detections."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar

V = TypeVar("V")
_MISSING = object()  # None is a value worth keeping (an unreadable gold), so absence has its own marker


class LRUCache:
    """Keeps the ``size`` most recently used entries; ``size <= 0`` keeps nothing.

    >>> cache = LRUCache(2)
    >>> cache.put("a", 1); cache.put("b", 2); cache.put("c", 3)
    >>> cache.get("a", "gone"), cache.get("c")
    ('gone', 3)
    >>> cache.get_or_compute("d", lambda: None), cache.get_or_compute("d", lambda: 4)
    (None, None)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value under ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._data:
                return default
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value under ``key``; when there is none, ``compute()``'s, kept under ``key``.

        ``compute`` runs outside the lock (it may be slow); two threads missing the same key at
        once both compute it, and the later value is kept.
        """
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
