"""The Memory backend kind: what a user said and chose, across turns and sessions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import Field

from imagent.backends.base import Backend
from imagent.core.types import Record, utcnow


class MemoryEntry(Record):
    user_id: str
    session_id: str | None = None
    role: Literal["user", "agent"] = "user"
    kind: Literal["message", "choice", "profile"] = "message"
    content: str
    run_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Memory(Backend, ABC):
    kind: ClassVar[str] = "memory"

    @abstractmethod
    async def remember(self, entry: MemoryEntry) -> None:
        """Store one entry."""

    @abstractmethod
    async def history(
        self, user_id: str, session_id: str | None = None, limit: int = 50
    ) -> list[MemoryEntry]:
        """Entries of a user (of one session, if given), oldest first."""

    @abstractmethod
    async def profile(self, user_id: str) -> dict[str, str]:
        """Facts about a user (`kind="profile"` entries of the form `key: value`)."""

    @abstractmethod
    async def forget(self, user_id: str, session_id: str | None = None) -> int:
        """Delete a user's entries (of one session, if given); returns how many."""


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def profile_of(entries: Iterable[MemoryEntry]) -> dict[str, str]:
    """`key: value` lines of the `profile` entries, oldest first so later ones win. Keys are
    stripped and lower-cased; lines without a colon or key are ignored."""
    profile: dict[str, str] = {}
    for entry in entries:
        if entry.kind != "profile":
            continue
        for line in entry.content.splitlines():
            key, colon, value = line.partition(":")
            key = key.strip().lower()
            if colon and key:
                profile[key] = value.strip()
    return profile
