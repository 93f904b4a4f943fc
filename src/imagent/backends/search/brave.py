"""`brave`: the Brave Search API, `GET https://api.search.brave.com/res/v1/web/search` and
`…/images/search`, with the key in `X-Subscription-Token`.

Key: `BRAVE_SEARCH_API_KEY`. Options: `country`, `search_lang`, `safesearch` (`off`,
`moderate`, `strict`), `freshness` (`pd`, `pw`, `pm`, `py` or a date range).

Web results carry `page_age` (ISO) and `age` (prose such as "3 days ago"); the first that
names a day becomes the hit's date. Every answer carries `X-RateLimit-Limit`, `-Remaining`
and `-Reset` with one value per window (per second, per month). A 429 comes with those
headers rather than `Retry-After`, so the wait is read from the per-second reset; an
exhausted window also pauses this provider's next request. Errors are
`{"type": "ErrorResponse", "error": {"code", "detail", "status"}}`; a bad key is a 422
`SUBSCRIPTION_TOKEN_INVALID`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx2

from imagent.backends.search.base import ImageHit, SearchHit
from imagent.backends.search.dates import normalise_date
from imagent.backends.search.hosted import HostedSearch, rebuild
from imagent.backends.search.text import as_int, plain_text
from imagent.core.errors import AuthError, BackendError

_PASSED_OPTIONS = ("country", "search_lang", "safesearch", "freshness")


class BraveSearch(HostedSearch):
    provider: ClassVar[str] = "brave"
    key_env: ClassVar[str | None] = "BRAVE_SEARCH_API_KEY"
    base_url: ClassVar[str] = "https://api.search.brave.com/res/v1"
    supports_images: ClassVar[bool] = True
    max_k: ClassVar[int] = 20

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "X-Subscription-Token": self.key or ""}

    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        body = await self.get_json("GET", "/web/search", params=self._params(query, k))
        web = body.get("web") if isinstance(body, dict) else None
        results = web.get("results") if isinstance(web, dict) else None
        hits = [self._hit(r) for r in results or [] if isinstance(r, dict) and r.get("url")]
        # Brave ranks but gives no score: the rank becomes one, best first.
        return [h.model_copy(update={"score": 1.0 / (1 + i)}) for i, h in enumerate(hits)]

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        params = {**self._params(query, k), "count": min(k, 200)}
        params.setdefault("safesearch", "strict")  # the images endpoint takes off|strict
        body = await self.get_json("GET", "/images/search", params=params)
        results = body.get("results") if isinstance(body, dict) else None
        return [hit for r in results or [] if (hit := self._image(r))]

    def _params(self, query: str, k: int) -> dict[str, Any]:
        params: dict[str, Any] = {"q": query, "count": k}
        params.update({name: self.option(name) for name in _PASSED_OPTIONS if self.option(name)})
        return params

    def _hit(self, result: dict[str, Any]) -> SearchHit:
        extra = result.get("extra_snippets") or []
        text = "\n".join(plain_text(s) for s in [result.get("description"), *extra] if s)
        date = _first_day(result.get("page_age"), result.get("age"))
        return SearchHit(
            title=plain_text(result.get("title")),
            url=result["url"],
            text=text,
            date=date,
            provider=self.id,
        )

    def _image(self, result: object) -> ImageHit | None:
        if not isinstance(result, dict):
            return None
        properties = result.get("properties") or {}
        thumbnail = result.get("thumbnail") or {}
        url = properties.get("url") or thumbnail.get("src")
        if not isinstance(url, str):
            return None
        return ImageHit(
            url=url,
            thumbnail_url=thumbnail.get("src"),
            title=plain_text(result.get("title")),
            page_url=result.get("url"),
            width=as_int(properties.get("width")),
            height=as_int(properties.get("height")),
            provider=self.id,
        )

    def classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        detail, code = _error(response)
        message = detail or error.message
        if code and code.startswith("SUBSCRIPTION_TOKEN"):
            return rebuild(error, AuthError, message=f"the key was rejected: {message}")
        if response.status_code == 429 and error.retry_after is None:
            wait = _first_number(response.headers.get("x-ratelimit-reset", ""))
            return rebuild(error, message=message, retry_after=wait)
        return rebuild(error, message=message)


def _first_day(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and (day := normalise_date(value)):
            return day
    return None


def _first_number(value: str) -> float | None:
    try:
        return max(0.0, float(value.split(",")[0]))
    except ValueError:
        return None


def _error(response: httpx2.Response) -> tuple[str | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    detail, code = error.get("detail"), error.get("code")
    return (detail if isinstance(detail, str) else None, code if isinstance(code, str) else None)
