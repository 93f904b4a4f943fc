"""`tavily`: Tavily's search API, `POST https://api.tavily.com/search` with a Bearer key.

Key: `TAVILY_API_KEY`. Options (`[providers.tavily] options`): `search_depth` (`basic`,
`advanced`, `fast`, `ultra-fast`; default `basic`), `topic` (`general`, `news`, `finance`;
`news` also returns each result's `published_date`), `country`, `include_domains`,
`exclude_domains`. Image search asks the same endpoint with `include_images` and
`include_image_descriptions`.

Errors come as `{"detail": {"error": "..."}}`: 401 a bad key, 429 the rate limit, 432 the
plan's limit and 433 the pay-as-you-go limit (both need a change on the account, so they are
not retried).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx2

from imagent.backends.search.base import ImageHit, SearchHit
from imagent.backends.search.hosted import HostedSearch, rebuild
from imagent.backends.search.text import plain_text
from imagent.core.errors import BackendError

_PASSED_OPTIONS = ("search_depth", "topic", "country", "include_domains", "exclude_domains")
_ACCOUNT_LIMITS = {432: "the plan's usage limit", 433: "the pay-as-you-go spending limit"}


class TavilySearch(HostedSearch):
    provider: ClassVar[str] = "tavily"
    key_env: ClassVar[str | None] = "TAVILY_API_KEY"
    base_url: ClassVar[str] = "https://api.tavily.com"
    supports_images: ClassVar[bool] = True
    max_k: ClassVar[int] = 20

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Authorization": f"Bearer {self.key}"}

    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        body = await self.get_json("POST", "/search", json=self._body(query, k))
        results = body.get("results") if isinstance(body, dict) else None
        return [self._hit(r) for r in results or [] if isinstance(r, dict) and r.get("url")]

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        request = {**self._body(query, k), "include_images": True}
        request["include_image_descriptions"] = True
        body = await self.get_json("POST", "/search", json=request)
        images = body.get("images") if isinstance(body, dict) else None
        return [hit for image in images or [] if (hit := self._image(image))][:k]

    def _body(self, query: str, k: int) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query, "max_results": k, "include_answer": False}
        body.update({name: self.option(name) for name in _PASSED_OPTIONS if self.option(name)})
        body.setdefault("search_depth", "basic")
        return body

    def _hit(self, result: dict[str, Any]) -> SearchHit:
        return SearchHit(
            title=plain_text(result.get("title"), markup=False),
            url=result["url"],
            text=plain_text(result.get("content"), markup=False),
            date=result.get("published_date") or None,
            score=float(result.get("score") or 0.0),
            provider=self.id,
        )

    def _image(self, image: object) -> ImageHit | None:
        # A plain URL, or {"url", "description"} when descriptions were asked for.
        if isinstance(image, str):
            return ImageHit(url=image, provider=self.id)
        if isinstance(image, dict) and isinstance(image.get("url"), str):
            description = plain_text(image.get("description"), markup=False)
            return ImageHit(url=image["url"], description=description, provider=self.id)
        return None

    def classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        detail = _detail(response)
        message = detail or error.message
        if response.status_code in _ACCOUNT_LIMITS:
            limit = _ACCOUNT_LIMITS[response.status_code]
            message = f"the account reached {limit}: {message}"
            return rebuild(error, message=message, retryable=False)
        return rebuild(error, message=message)


def _detail(response: httpx2.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("error"), str):
        return str(detail["error"])
    return detail if isinstance(detail, str) else None
