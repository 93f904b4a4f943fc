"""`ddgs`: the `ddgs` metasearch library (DuckDuckGo, Bing, Brave, Wikipedia … results
without a key). Needs the extra: `pip install 'imagent[ddgs]'`.

`DDGS().text(...)` / `.images(...)` are blocking, so each call runs in a worker thread, paced
(one request start per `min_interval_s`, default 1 s: the engines behind it throttle
quickly) and retried by the shared policy. Options: `region` (default `us-en`), `safesearch`
(`on`, `moderate`, `off`), `timelimit` (`d`, `w`, `m`, `y`), `backend` (default `auto`),
`timeout_s` (per engine, default 5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from ddgs import DDGS
from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

from imagent.backends.retry import RetryPolicy, call_with_retries
from imagent.backends.search.base import ImageHit, SearchHit
from imagent.backends.search.hosted import HostedSearch
from imagent.backends.search.text import as_int, plain_text
from imagent.core.errors import BackendError, RateLimitedError

NO_RESULTS = "No results found."  # what ddgs raises when every engine answered with nothing
_PASSED_OPTIONS = ("safesearch", "timelimit", "backend")


class DDGSSearch(HostedSearch):
    provider: ClassVar[str] = "ddgs"
    supports_images: ClassVar[bool] = True
    max_k: ClassVar[int] = 30
    min_interval_s: ClassVar[float] = 1.0

    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        rows = await self._call(lambda ddgs: ddgs.text(query, **self._kwargs(k)))
        hits = [self._hit(row) for row in rows if row.get("href")]
        return [h.model_copy(update={"score": 1.0 / (1 + i)}) for i, h in enumerate(hits)]

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        rows = await self._call(lambda ddgs: ddgs.images(query, **self._kwargs(k)))
        return [self._image(row) for row in rows if row.get("image")]

    def _kwargs(self, k: int) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_results": k, "region": self.option("region", "us-en")}
        kwargs.update({n: self.option(n) for n in _PASSED_OPTIONS if self.option(n)})
        return kwargs

    async def _call(self, call: Callable[[Any], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        async def attempt() -> list[dict[str, Any]]:
            async with self.gate.slot():
                return await asyncio.to_thread(self._blocking, call)

        return await call_with_retries(attempt, RetryPolicy.from_settings(self.settings))

    def _blocking(self, call: Callable[[Any], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """One ddgs call, its exceptions as typed errors; "no results" is an empty answer."""
        try:
            rows = call(DDGS(timeout=int(self.option("timeout_s", 5))))
        except RatelimitException as exc:
            raise RateLimitedError(self.id, f"rate limited: {exc}", retryable=True) from exc
        except TimeoutException as exc:
            raise BackendError(self.id, f"timed out: {exc}", retryable=True) from exc
        except DDGSException as exc:
            if str(exc) == NO_RESULTS:
                return []
            raise BackendError(self.id, f"search failed: {exc}", retryable=True) from exc
        return [row for row in rows or [] if isinstance(row, dict)]

    def _hit(self, row: dict[str, Any]) -> SearchHit:
        return SearchHit(
            title=plain_text(row.get("title"), markup=False),
            url=row["href"],
            text=plain_text(row.get("body"), markup=False),
            date=row.get("date") or None,
            provider=self.id,
        )

    def _image(self, row: dict[str, Any]) -> ImageHit:
        return ImageHit(
            url=row["image"],
            thumbnail_url=row.get("thumbnail") or None,
            title=plain_text(row.get("title"), markup=False),
            page_url=row.get("url") or None,
            width=as_int(row.get("width")),
            height=as_int(row.get("height")),
            provider=self.id,
        )
