"""`fake` memory: everything in a dict, for tests (ours and users'). Behaves like `sqlite`."""

from __future__ import annotations

from typing import ClassVar

from imagent.memory.base import Memory, MemoryEntry, as_utc, profile_of
from imagent.settings import Settings


class InMemoryMemory(Memory):
    """Entries per user in insertion order; lost when the object goes."""

    provider: ClassVar[str] = "fake"

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        super().__init__(model, settings)
        self._entries: dict[str, list[MemoryEntry]] = {}

    async def remember(self, entry: MemoryEntry) -> None:
        stored = entry.model_copy(update={"created_at": as_utc(entry.created_at)})
        self._entries.setdefault(entry.user_id, []).append(stored)

    async def history(
        self, user_id: str, session_id: str | None = None, limit: int = 50
    ) -> list[MemoryEntry]:
        if limit <= 0:
            return []
        entries = [
            e
            for e in self._entries.get(user_id, [])
            if session_id is None or e.session_id == session_id
        ]
        entries.sort(key=lambda e: e.created_at)  # stable: ties keep insertion order
        return [e.model_copy() for e in entries[-limit:]]

    async def profile(self, user_id: str) -> dict[str, str]:
        return profile_of(sorted(self._entries.get(user_id, []), key=lambda e: e.created_at))

    async def forget(self, user_id: str, session_id: str | None = None) -> int:
        entries = self._entries.get(user_id, [])
        kept = [e for e in entries if session_id is not None and e.session_id != session_id]
        if kept:
            self._entries[user_id] = kept
        else:
            self._entries.pop(user_id, None)
        return len(entries) - len(kept)
