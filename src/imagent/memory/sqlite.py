"""`sqlite` memory: one stdlib sqlite3 database in WAL mode, `<home>/memory.db` by default.

`sqlite` uses `settings.home / "memory.db"`; `sqlite:/path/to/file.db` (or `sqlite/...`) uses
that file instead (`~` is expanded; a relative path is relative to the working directory).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from imagent.memory.base import Memory, MemoryEntry, as_utc, profile_of
from imagent.memory.migrations import migrate
from imagent.settings import Settings

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")

_COLUMNS = "user_id, session_id, role, kind, content, run_id, created_at"


class SQLiteMemory(Memory):
    """Entries in a table `entries`; schema changes go through named migrations."""

    provider: ClassVar[str] = "sqlite"

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        super().__init__(model, settings)
        self.path = Path(model).expanduser() if model else self.settings.home / "memory.db"
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, used by one thread at a time

    async def remember(self, entry: MemoryEntry) -> None:
        row = (
            entry.user_id,
            entry.session_id,
            entry.role,
            entry.kind,
            entry.content,
            entry.run_id,
            _timestamp(entry.created_at),
        )
        sql = f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        await self._run(lambda conn: conn.execute(sql, row))

    async def history(
        self, user_id: str, session_id: str | None = None, limit: int = 50
    ) -> list[MemoryEntry]:
        if limit <= 0:
            return []
        where, params = _where(user_id, session_id)
        sql = (
            f"SELECT {_COLUMNS} FROM entries WHERE {where} "
            "ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        rows = await self._run(lambda conn: conn.execute(sql, (*params, limit)).fetchall())
        return [_entry(row) for row in reversed(rows)]

    async def profile(self, user_id: str) -> dict[str, str]:
        sql = (
            f"SELECT {_COLUMNS} FROM entries WHERE user_id = ? AND kind = 'profile' "
            "ORDER BY created_at, id"
        )
        rows = await self._run(lambda conn: conn.execute(sql, (user_id,)).fetchall())
        return profile_of(_entry(row) for row in rows)

    async def forget(self, user_id: str, session_id: str | None = None) -> int:
        where, params = _where(user_id, session_id)
        return await self._run(
            lambda conn: conn.execute(f"DELETE FROM entries WHERE {where}", params).rowcount
        )

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)

    async def _run(self, call: Callable[[sqlite3.Connection], T]) -> T:
        """Run `call` on the connection in a worker thread, opening it on first use."""

        def locked() -> T:
            with self._lock:
                if self._conn is None:
                    self._conn = self._connect()
                return call(self._conn)

        return await asyncio.to_thread(locked)

    def _connect(self) -> sqlite3.Connection:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: single statements commit at once; migrations open their own transactions.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn


def _where(user_id: str, session_id: str | None) -> tuple[str, tuple[str, ...]]:
    if session_id is None:
        return "user_id = ?", (user_id,)
    return "user_id = ? AND session_id = ?", (user_id, session_id)


def _timestamp(moment: datetime) -> str:
    # Fixed width, always UTC: text order is time order.
    return as_utc(moment).isoformat(timespec="microseconds")


def _entry(row: tuple[Any, ...]) -> MemoryEntry:
    user_id, session_id, role, kind, content, run_id, created_at = row
    return MemoryEntry(
        user_id=user_id,
        session_id=session_id,
        role=role,
        kind=kind,
        content=content,
        run_id=run_id,
        created_at=datetime.fromisoformat(created_at),
    )
