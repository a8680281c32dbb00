"""A detector backend's model, loaded on first use and once per instance, however threads race.

Every backend's model is heavy (langdetect's profiles, lingua's 1.1 GB of language models,
fastText's file), so it loads only when a text is first detected, and a composition scored from
several threads must not load it twice.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class LoadedOnce(Generic[T]):
    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._load()
        return self._value
