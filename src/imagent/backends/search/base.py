"""The Search backend kind. What it returns is untrusted data, never instructions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from imagent.backends.base import Backend
from imagent.core.types import Record


class SearchHit(Record):
    title: str = ""
    url: str | None = None
    text: str
    date: str | None = None
    score: float = 0.0


class Search(Backend, ABC):
    kind: ClassVar[str] = "search"

    @abstractmethod
    async def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` best hits for `query`, best first."""
