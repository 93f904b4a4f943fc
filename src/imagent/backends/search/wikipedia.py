"""`wikipedia` (or `wikipedia/<lang>`, e.g. `wikipedia/zh`): Wikipedia's REST APIs, no key.

Pages are found with `GET https://<lang>.wikipedia.org/w/rest.php/v1/search/page?q=…&limit=…`
and read with `GET /api/rest_v1/page/summary/{title}`: the lead section as plain text, the
page's last edit as its date, its lead image for image search. Wikimedia asks every client
for a descriptive User-Agent with a way to reach its operator: set
`[providers.wikipedia] options.user_agent` (or `options.contact`, an email or URL, added to
the default one).
"""

from __future__ import annotations

import asyncio
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar
from urllib.parse import quote

import httpx2

from imagent.backends.search.base import ImageHit, SearchHit
from imagent.backends.search.hosted import HostedSearch, rebuild
from imagent.backends.search.text import as_int, plain_text
from imagent.core.errors import BackendError, ConfigError
from imagent.settings import Settings

PROJECT_URL = "https://pypi.org/project/imagent/"
_LANG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")


class WikipediaSearch(HostedSearch):
    provider: ClassVar[str] = "wikipedia"
    supports_images: ClassVar[bool] = True
    max_k: ClassVar[int] = 20
    fresh: ClassVar[bool] = False  # an encyclopedia: a query dated today finds nothing more

    def __init__(self, model: str = "", settings: Settings | None = None, **kwargs: Any) -> None:
        lang = (model or "en").lower()
        if not _LANG.match(lang):
            raise ConfigError(
                f"wikipedia/{model}: expected a language code such as 'en', 'zh' or 'pt-br'"
            )
        super().__init__(lang, settings, **kwargs)
        self.lang = lang

    def endpoint(self) -> str:
        return self.conf.base_url or f"https://{self.lang}.wikipedia.org"

    def headers(self) -> dict[str, str]:
        agent = self.option("user_agent")
        if not agent:
            contact = self.option("contact")
            reach = f"{PROJECT_URL}; {contact}" if contact else PROJECT_URL
            agent = f"imagent/{_version()} ({reach}) httpx2"
        return {**super().headers(), "User-Agent": str(agent)}

    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        pages = await self._pages(query, k)
        summaries = await asyncio.gather(*(self._summary(page) for page in pages))
        hits = [self._hit(page, summary) for page, summary in zip(pages, summaries, strict=True)]
        return [h.model_copy(update={"score": 1.0 / (1 + i)}) for i, h in enumerate(hits)]

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        pages = [p for p in await self._pages(query, k) if p.get("thumbnail")]
        summaries = await asyncio.gather(*(self._summary(page) for page in pages))
        images = [self._image(p, s) for p, s in zip(pages, summaries, strict=True)]
        return [image for image in images if image is not None]

    async def _pages(self, query: str, k: int) -> list[dict[str, Any]]:
        body = await self.get_json(
            "GET", "/w/rest.php/v1/search/page", params={"q": query, "limit": k}
        )
        pages = body.get("pages") if isinstance(body, dict) else None
        return [p for p in pages or [] if isinstance(p, dict) and p.get("key")]

    async def _summary(self, page: dict[str, Any]) -> dict[str, Any]:
        """The page summary; a page that vanished between search and read gives `{}`."""
        try:
            body = await self.get_json(
                "GET", f"/api/rest_v1/page/summary/{quote(page['key'], safe='')}"
            )
        except BackendError as exc:
            if exc.status == 404:
                return {}
            raise
        return body if isinstance(body, dict) else {}

    def _hit(self, page: dict[str, Any], summary: dict[str, Any]) -> SearchHit:
        text = plain_text(summary.get("extract")) or plain_text(page.get("excerpt"))
        return SearchHit(
            title=plain_text(summary.get("title") or page.get("title")),
            url=self._page_url(page, summary),
            text=text,
            date=summary.get("timestamp") or None,
            provider=self.id,
        )

    def _image(self, page: dict[str, Any], summary: dict[str, Any]) -> ImageHit | None:
        original = summary.get("originalimage") or {}
        thumb = summary.get("thumbnail") or {}
        url = original.get("source") or thumb.get("source") or page["thumbnail"].get("url")
        if not isinstance(url, str):
            return None
        return ImageHit(
            url=_absolute(url),
            thumbnail_url=_absolute(thumb.get("source") or page["thumbnail"].get("url")),
            title=plain_text(summary.get("title") or page.get("title")),
            page_url=self._page_url(page, summary),
            width=as_int(original.get("width")) if original else None,
            height=as_int(original.get("height")) if original else None,
            description=plain_text(summary.get("description") or page.get("description")),
            provider=self.id,
        )

    def _page_url(self, page: dict[str, Any], summary: dict[str, Any]) -> str:
        urls = summary.get("content_urls") or {}
        desktop = urls.get("desktop") if isinstance(urls, dict) else None
        if isinstance(desktop, dict) and isinstance(desktop.get("page"), str):
            return str(desktop["page"])
        return f"{self.endpoint()}/wiki/{quote(page['key'], safe='')}"

    def classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        # rest.php errors: {"errorKey", "messageTranslations": {"en": …}, "httpReason"}.
        try:
            body = response.json()
        except ValueError:
            return error
        translations = body.get("messageTranslations") if isinstance(body, dict) else None
        if isinstance(translations, dict) and translations:
            message = translations.get("en") or next(iter(translations.values()))
            return rebuild(error, message=str(message))
        return error


def _version() -> str:
    try:
        return version("imagent")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def _absolute(url: str | None) -> str | None:
    return f"https:{url}" if isinstance(url, str) and url.startswith("//") else url
