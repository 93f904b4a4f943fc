"""A search cache in SQLite with a time to live: `<home>/search-cache.db`.

Every hosted search goes through it, so asking the same question twice within the TTL costs
no request, no quota and no latency. The key is the provider id, the normalised query (NFKC,
case-folded, whitespace collapsed), k and the kind of search (web or images); the value is
the hits exactly as the provider gave them, so a hit from the cache equals the one fetched.
Entries older than the TTL are ignored and overwritten. A TTL of 0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from imagent.memory.migrations import Migration, migrate

BUSY_TIMEOUT_MS = 5000

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_search_cache",
        (
            """CREATE TABLE entries (
                key TEXT PRIMARY KEY,
                provider TEXT NOT NULL,
                kind TEXT NOT NULL,
                query TEXT NOT NULL,
                k INTEGER NOT NULL,
                stored_at REAL NOT NULL,
                payload TEXT NOT NULL
            )""",
            "CREATE INDEX entries_stored_at ON entries (stored_at)",
        ),
    ),
)


def normalise_query(query: str) -> str:
    """The form two spellings of one question share: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", query).casefold().split())


def cache_key(provider: str, query: str, k: int, kind: str) -> str:
    raw = "\x1f".join((provider, normalise_query(query), str(k), kind))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SearchCache:
    """Thread-safe get/put of JSON payloads by key, each valid for `ttl_s` seconds."""

    def __init__(
        self, path: Path | str, ttl_s: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self.ttl_s = ttl_s
        self.clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, provider: str, query: str, k: int, kind: str) -> str | None:
        """The payload stored for this search within the TTL, else None."""
        if not self.enabled:
            return None
        key = cache_key(provider, query, k, kind)
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT payload, stored_at FROM entries WHERE key = ?", (key,))
                .fetchone()
            )
        if row is None or self.clock() - row[1] >= self.ttl_s:
            return None
        return str(row[0])

    def put(self, provider: str, query: str, k: int, kind: str, payload: str) -> None:
        if not self.enabled:
            return
        key = cache_key(provider, query, k, kind)
        row = (key, provider, kind, normalise_query(query), k, self.clock(), payload)
        with self._lock:
            self._connection().execute(
                "INSERT OR REPLACE INTO entries (key, provider, kind, query, k, stored_at, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )

    def clear(self, *, expired_only: bool = False) -> int:
        """Delete entries (only the stale ones with `expired_only`); returns how many."""
        with self._lock:
            conn = self._connection()
            if expired_only:
                cutoff = self.clock() - self.ttl_s
                return conn.execute("DELETE FROM entries WHERE stored_at < ?", (cutoff,)).rowcount
            return conn.execute("DELETE FROM entries").rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = _connect(self.path)
        return self._conn


def _connect(path: Path | str) -> sqlite3.Connection:
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; no fsync per commit
        migrate(conn, MIGRATIONS)
    except BaseException:
        conn.close()
        raise
    return conn
