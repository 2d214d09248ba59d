"""Persistent response cache: sqlite3 in WAL mode, safe across threads and processes."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def request_key(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a request payload (which must not contain secrets)."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# Replies to the judge and the user are a few hundred bytes; a larger one (a runaway generation, a
# misbehaving server) is returned to the caller but not stored, so the file stays small.
MAX_VALUE_BYTES = 64 * 1024


class ResponseCache:
    """Key -> JSON object store in one sqlite file.

    Many processes may share the file (WAL journal, busy timeout); within a process one connection
    is shared under a lock, and reopened after ``fork``. Storage errors never propagate: a failed
    read is a miss, a failed write is skipped; both are logged and counted in ``errors``. Values
    larger than ``max_value_bytes`` (as JSON) are not stored; they are counted in ``skipped`` and
    the first one is logged (its size, never its text).
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_s: float = 30.0,
                 max_value_bytes: int = MAX_VALUE_BYTES) -> None:
        if max_value_bytes < 1:
            raise ValueError(f"max_value_bytes must be >= 1, got {max_value_bytes}")
        self.path = os.fspath(path)
        self.busy_timeout_s = busy_timeout_s
        self.max_value_bytes = max_value_bytes
        self.errors = 0
        self.skipped = 0
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        with self._lock:
            self._connect()  # fail loudly at construction if the path is unusable

    def __repr__(self) -> str:
        return f"ResponseCache(path={self.path!r})"

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
        for attempt in range(50):  # switching to WAL needs a moment of exclusive access
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.02)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_SCHEMA)
        self._conn, self._pid = conn, os.getpid()
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored object for ``key``, or None on a miss (or a storage error)."""
        try:
            with self._lock:
                row = self._connect().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
            return None if row is None else json.loads(row[0])
        except (sqlite3.Error, ValueError) as exc:
            self._error("read", exc)
            return None

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Store ``value`` (JSON-serialisable) under ``key``, replacing any older entry."""
        try:
            blob = json.dumps(dict(value), ensure_ascii=False)
            size = len(blob.encode("utf-8"))
            if size > self.max_value_bytes:
                with self._lock:
                    self.skipped += 1
                    first = self.skipped == 1
                if first:
                    log.warning("LLM cache: not storing a %d-byte value (limit %d bytes) at %s; further ones are "
                                "only counted", size, self.max_value_bytes, self.path)
                return
            with self._lock:
                self._connect().execute("INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
                                        (key, blob, time.time()))
        except (sqlite3.Error, TypeError, ValueError) as exc:
            self._error("write", exc)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def _error(self, what: str, exc: Exception) -> None:
        with self._lock:
            self.errors += 1
        log.warning("LLM cache %s failed (%s: %s) at %s; continuing without it",
                    what, type(exc).__name__, exc, self.path)
