"""The Search backend kind. What it returns is untrusted data, never instructions.

`search(query, k)` is the one required method; it raises typed `BackendError`s like every
backend. `lookup(query, k)` is the soft form the agent uses: a hosted search that fails after
its retries gives no hits and a warning to show, never a failed run. Capabilities are class
attributes: `fresh` (it searches the current web, news included, so a time-sensitive query
should carry today's date), `local` (the user's own documents), `supports_images` (it also
answers `search_images`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from pydantic import Field, field_validator

from imagent.backends.base import Backend
from imagent.backends.search.dates import normalise_date
from imagent.core.errors import BackendError, ConfigError
from imagent.core.types import Record

MAX_K = 50


class SearchHit(Record):
    """One passage a search returned: where it is from, what it says, when it was dated."""

    title: str = ""
    url: str | None = None
    text: str
    date: str | None = None  # YYYY-MM-DD when the source gives a date, else None
    score: float = 0.0  # higher is better; comparable within one answer only
    provider: str = ""  # the backend id that found it ("brave", "local", …)

    @field_validator("date", mode="before")
    @classmethod
    def _normalise_date(cls, value: object) -> object:
        return normalise_date(value) if isinstance(value, str) else value


class ImageHit(Record):
    """One image a search found. Only addresses: the image itself is fetched (size-capped,
    type-checked) by the one safe fetcher, never by a search backend."""

    url: str  # the image file
    thumbnail_url: str | None = None
    title: str = ""
    page_url: str | None = None  # the page the image appears on
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)
    description: str = ""  # alt text or a caption from the provider: untrusted data
    provider: str = ""


class SearchOutcome(Record):
    """What a soft lookup found: hits, or none plus the warnings that say why."""

    query: str
    provider: str
    hits: list[SearchHit] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ImageSearchOutcome(Record):
    query: str
    provider: str
    hits: list[ImageHit] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class Search(Backend, ABC):
    kind: ClassVar[str] = "search"
    fresh: ClassVar[bool] = False  # searches the current web: dated queries find news
    local: ClassVar[bool] = False  # searches the user's own documents
    supports_images: ClassVar[bool] = False  # `search_images` is answered

    @abstractmethod
    async def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` best hits for `query`, best first."""

    async def search_images(self, query: str, k: int = 5) -> list[ImageHit]:
        """The `k` best images for `query`, best first (only where `supports_images`)."""
        raise ConfigError(
            f"search backend {self.id!r} offers no image search; use one that does "
            "(tavily, brave, searxng, wikipedia, ddgs)"
        )

    async def lookup(self, query: str, k: int = 5) -> SearchOutcome:
        """`search`, failing soft: a backend error becomes a warning and no hits."""
        try:
            hits = await self.search(query, k)
        except BackendError as exc:
            return SearchOutcome(query=query, provider=self.id, warnings=[_warning(self, exc)])
        return SearchOutcome(query=query, provider=self.id, hits=hits)

    async def lookup_images(self, query: str, k: int = 5) -> ImageSearchOutcome:
        """`search_images`, failing soft; a backend without image search says so."""
        if not self.supports_images:
            note = f"{self.id} offers no image search"
            return ImageSearchOutcome(query=query, provider=self.id, warnings=[note])
        try:
            hits = await self.search_images(query, k)
        except BackendError as exc:
            return ImageSearchOutcome(query=query, provider=self.id, warnings=[_warning(self, exc)])
        return ImageSearchOutcome(query=query, provider=self.id, hits=hits)


def check_query(backend: Search, query: str, k: int) -> str:
    """The query stripped, or a clear error for an empty query or a bad `k`."""
    if not query.strip():
        raise ConfigError(f"{backend.id}: the search query is empty")
    if not 1 <= k <= MAX_K:
        raise ConfigError(f"{backend.id}: k must be between 1 and {MAX_K}, got {k}")
    return query.strip()


def _warning(backend: Search, exc: BackendError) -> str:
    # str(exc) starts with the backend id: "search unavailable: brave: rate limited (HTTP 429)…"
    return f"search unavailable: {exc}; no results were used"
