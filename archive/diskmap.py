"""What a long crawl must remember without holding it in memory: SQLite files with a small cache in front.

`connect` opens such a file (a private temporary one, deleted when closed, for `path=None`: its pages beyond
SQLite's page cache go to disk). `LruCache` is the bounded cache. `FirstSeen` is a map whose first value of a key
stays (`setdefault`), for the duplicates of one run (`pipelines.dedup`).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

CACHE_ENTRIES = 4096
PAGE_CACHE_KIB = 2048  # SQLite's own page cache, per connection


def connect(path: str | os.PathLike[str] | None = None) -> sqlite3.Connection:
    """A connection in autocommit mode, usable from any thread (callers serialise their calls); in WAL mode when
    the file is a lasting one (readers do not wait for the writer; a killed process leaves it consistent)."""
    connection = sqlite3.connect(
        "" if path is None else os.fspath(path), isolation_level=None, check_same_thread=False, timeout=30
    )
    connection.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    if path is None:  # gone with the connection: nothing to recover, no journal to write
        connection.execute("PRAGMA journal_mode = OFF")
    else:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
    return connection


class LruCache:
    """At most `size` entries, the least recently used one evicted first."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            self._entries.move_to_end(key)
        except KeyError:
            return default
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def put(self, key: Any, value: Any) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


class FirstSeen:
    """A map from strings to picklable values kept on disk, whose first value of a key stays; thread-safe."""

    def __init__(self, cache_size: int = CACHE_ENTRIES) -> None:
        self._db = connect()
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
        self._cache = LruCache(cache_size)
        self._lock = threading.Lock()

    def setdefault(self, key: str, value: Any) -> Any:
        """The value first given for `key`: `value` if the key is new (then kept)."""
        with self._lock:
            known = self._cache.get(key)
            if known is None:
                # A new key (the usual case) costs one statement; a known one is then read.
                if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, pickle.dumps(value))).rowcount:
                    known = value
                else:
                    known = pickle.loads(self._db.execute("SELECT value FROM seen WHERE key = ?", (key,)).fetchone()[0])
                self._cache.put(key, known)
            return known

    def close(self) -> None:
        """Forget everything (the temporary file goes)."""
        with self._lock:
            self._db.close()
