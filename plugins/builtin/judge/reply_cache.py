"""Judge replies by request: in memory (LRU), and optionally in a SQLite file that outlives the process.

A judge at temperature 0 gives the same reply to the same request, and GRPO batches repeat
completions (short answers, a re-scored file): each request is paid for once. Keys are hashes of
everything that shapes the reply (:func:`request_key`); only replies are stored, never failures.
The file is shared safely by several processes (SQLite's own locking), so accelerate ranks or
``rewardkit serve`` workers pointed at one path share their replies.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from rewardkit.cache import LRUCache


def request_key(request: dict[str, Any]) -> str:
    """A stable hash of a request (endpoint, model, messages, sampling settings)."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ReplyCache:
    """Replies by request key: ``size`` in memory, all of them in ``path`` when given."""

    def __init__(self, size: int, path: str | None = None) -> None:
        self.size = size
        self.path = path
        self._lock = threading.Lock()  # the SQLite connection's
        self._memory = LRUCache(max(1, size))
        self._db: sqlite3.Connection | None = None

    def get(self, key: str) -> dict[str, Any] | None:
        reply = self._memory.get(key)
        if reply is not None or self.path is None:
            return reply
        with self._lock:
            row = self._file().execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        reply = json.loads(row[0])
        self._memory.put(key, reply)
        return reply

    def put(self, key: str, reply: dict[str, Any]) -> None:
        self._memory.put(key, reply)
        if self.path is not None:
            with self._lock, self._file() as db:
                db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?)", (key, json.dumps(reply)))

    def _file(self) -> sqlite3.Connection:
        if self._db is None:
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(Path(self.path).expanduser(), timeout=30, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")  # readers in other processes do not block writers
            self._db.execute("PRAGMA synchronous=NORMAL")  # no fsync per reply: a crash may lose the last few, never the file
            self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
        return self._db

    def __getstate__(self) -> dict[str, Any]:  # a copy in another process starts empty and opens the file itself
        return {"size": self.size, "path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["size"], state["path"])
