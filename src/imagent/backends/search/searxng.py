"""`searxng`: your own SearXNG instance, `GET {SEARXNG_URL}/search?q=…&format=json`.

The address comes from `SEARXNG_URL` (or `[providers.searxng] base_url`, or the id itself:
`searxng/http://localhost:8888`). The instance must allow the JSON format: `search.formats`
in its settings.yml lists `json` (otherwise it answers 403). Options: `categories`
(default `general`), `engines`, `language`, `time_range` (`day`, `month`, `year`),
`safesearch` (0, 1, 2). Image search uses the `images` category (`img_src`,
`thumbnail_src`, `resolution`).

Results carry `publishedDate` (ISO, often null). An answer with no results while engines are
listed in `unresponsive_engines` is an outage of those engines, not an empty answer.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import httpx2

from imagent.backends.search.base import ImageHit, SearchHit
from imagent.backends.search.hosted import HostedSearch, rebuild
from imagent.backends.search.text import as_int, plain_text
from imagent.core.errors import BackendError, ConfigError
from imagent.settings import Settings

URL_ENV = "SEARXNG_URL"
_PASSED_OPTIONS = ("engines", "language", "time_range", "safesearch")


class SearXNGSearch(HostedSearch):
    provider: ClassVar[str] = "searxng"
    supports_images: ClassVar[bool] = True
    max_k: ClassVar[int] = 50  # one page holds what the engines gave; it is cut to k

    def __init__(self, model: str = "", settings: Settings | None = None, **kwargs: Any) -> None:
        self.instance = model or os.environ.get(URL_ENV, "").strip()
        super().__init__("", settings, **kwargs)
        self.instance = self.instance or self.conf.base_url or ""
        if not self.instance.startswith(("http://", "https://")):
            raise ConfigError(
                f"searxng needs the address of a SearXNG instance: set the environment variable "
                f"{URL_ENV} (e.g. http://localhost:8888) or [providers.searxng] base_url"
                + (f"; {self.instance!r} is not an http(s) URL" if self.instance else "")
            )
        self.cache_scope = f"{self.id}@{self.instance.rstrip('/')}"

    def endpoint(self) -> str:
        return self.instance

    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        body = await self._search(query, self.option("categories", "general"))
        return [self._hit(r) for r in _results(body) if r.get("url")][:k]

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        body = await self._search(query, "images")
        return [hit for r in _results(body) if (hit := self._image(r))][:k]

    async def _search(self, query: str, categories: str) -> Any:
        params: dict[str, Any] = {"q": query, "format": "json", "categories": categories}
        params.update({n: self.option(n) for n in _PASSED_OPTIONS if self.option(n) is not None})
        body = await self.get_json("GET", "/search", params=params)
        down = _unresponsive(body)
        if not _results(body) and down:
            raise BackendError(self.id, f"no engine answered ({down})", retryable=True)
        return body

    def _hit(self, result: dict[str, Any]) -> SearchHit:
        return SearchHit(
            title=plain_text(result.get("title"), markup=False),
            url=result["url"],
            text=plain_text(result.get("content"), markup=False),
            date=result.get("publishedDate") or result.get("pubdate") or None,
            score=float(result.get("score") or 0.0),
            provider=self.id,
        )

    def _image(self, result: dict[str, Any]) -> ImageHit | None:
        url = result.get("img_src")
        if not isinstance(url, str) or not url:
            return None
        width, _, height = str(result.get("resolution") or "").partition("x")
        return ImageHit(
            url=url,
            thumbnail_url=result.get("thumbnail_src") or result.get("thumbnail") or None,
            title=plain_text(result.get("title"), markup=False),
            page_url=result.get("url"),
            width=as_int(width.strip()) if height else None,
            height=as_int(height.strip()) if height else None,
            description=plain_text(result.get("content"), markup=False),
            provider=self.id,
        )

    def classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        if response.status_code == 403:
            return rebuild(
                error,
                message="the instance refused the JSON format: add `json` to search.formats "
                "in its settings.yml",
            )
        return error


def _results(body: Any) -> list[dict[str, Any]]:
    results = body.get("results") if isinstance(body, dict) else None
    return [r for r in results or [] if isinstance(r, dict)]


def _unresponsive(body: Any) -> str:
    engines = body.get("unresponsive_engines") if isinstance(body, dict) else None
    parts = []
    for engine in engines or []:
        if isinstance(engine, list | tuple) and engine:
            parts.append(f"{engine[0]}: {engine[1]}" if len(engine) > 1 else str(engine[0]))
    return ", ".join(parts)
