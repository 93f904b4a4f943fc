"""What every hosted search provider shares: its settings section, key, HTTP client, pacing,
retries and the answer cache. A provider writes `fetch` (and `fetch_images` where the service
offers image search) and the shapes of its own API; nothing else.

Settings: `[providers.<name>]` in config.toml gives `base_url`, `api_key_env`, `timeout_s`,
`concurrency`, and `options`: `cache_ttl_s` (overrides `search_cache_ttl_s`; 0 = no cache),
`min_interval_s` (seconds between request starts) and provider-specific ones. In code,
`backend.cache = None` bypasses the cache for that backend.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import httpx2
from pydantic import BaseModel, TypeAdapter

from imagent.backends.http import HTTPProvider, api_key
from imagent.backends.retry import RetryPolicy
from imagent.backends.search.base import ImageHit, Search, SearchHit, check_query
from imagent.backends.search.cache import SearchCache
from imagent.backends.search.pacing import RateGate
from imagent.core.errors import AuthError, BackendError
from imagent.settings import Settings

H = TypeVar("H", bound=BaseModel)
_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {
    SearchHit: TypeAdapter(list[SearchHit]),
    ImageHit: TypeAdapter(list[ImageHit]),
}
DEFAULT_TIMEOUT_S = 20.0  # a search slower than this is not worth waiting for in a run
CACHE_FILE = "search-cache.db"


class HostedSearch(Search):
    """Base of the web search providers. Subclasses set `key_env`, `base_url`, `max_k`."""

    fresh: ClassVar[bool] = True
    key_env: ClassVar[str | None] = None  # env var holding the key; None: no key needed
    base_url: ClassVar[str] = ""
    max_k: ClassVar[int] = 20  # the most results the service returns per request
    min_interval_s: ClassVar[float] = 0.0  # default pace between request starts

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        cache: SearchCache | None = None,
    ) -> None:
        super().__init__(model, settings)
        self.conf = self.settings.provider(self.provider)
        self.key_var = self.conf.api_key_env or self.key_env
        self.key = api_key(self.key_var, self.provider) if self.key_var else None
        self.transport = transport
        self.cache_scope = self.id  # what separates this service's answers in the cache
        self.cache: SearchCache | None = cache if cache is not None else self._default_cache()
        interval = float(self.option("min_interval_s", self.min_interval_s))
        self.gate = RateGate(self.id, self.conf.concurrency, interval)

    def option(self, name: str, default: Any = None) -> Any:
        """`[providers.<name>] options.<name>`, or `default`."""
        return self.conf.options.get(name, default)

    # -- what a provider writes ---------------------------------------------------------

    @abstractmethod
    async def fetch(self, query: str, k: int) -> list[SearchHit]:
        """Ask the service for at most `k` hits (never more than `max_k`)."""

    async def fetch_images(self, query: str, k: int) -> list[ImageHit]:
        raise NotImplementedError  # only called where `supports_images` is set

    def headers(self) -> dict[str, str]:
        """Headers every request carries (auth, Accept, User-Agent)."""
        return {"Accept": "application/json"}

    def endpoint(self) -> str:
        """The service's base URL: `[providers.<name>] base_url`, else the default."""
        return self.conf.base_url or self.base_url

    def classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        """Map a provider's own error shapes onto the typed errors (default: as HTTP says)."""
        return error

    # -- shared machinery ----------------------------------------------------------------

    async def search(self, query: str, k: int = 5) -> list[SearchHit]:
        query = check_query(self, query, k)
        return await self._cached("web", query, k, SearchHit, self.fetch)

    async def search_images(self, query: str, k: int = 5) -> list[ImageHit]:
        if not self.supports_images:
            return await super().search_images(query, k)
        query = check_query(self, query, k)
        return await self._cached("images", query, k, ImageHit, self.fetch_images)

    @cached_property
    def http(self) -> HTTPProvider:
        timeout = self.conf.timeout_s if "timeout_s" in self.conf.model_fields_set else None
        return HTTPProvider(
            self.id,
            self.endpoint(),
            headers=self.headers(),
            timeout_s=timeout or DEFAULT_TIMEOUT_S,
            connect_timeout_s=self.conf.connect_timeout_s,
            max_connections=self.conf.concurrency,
            policy=RetryPolicy.from_settings(self.settings),
            transport=self.transport,
            classify=self._classify,
        )

    async def get_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """One paced, retried request; the JSON body, or a typed error."""
        async with self.gate.slot():
            response = await self.http.request(method, url, **kwargs)
        self.gate.observe(response.headers)
        try:
            return response.json()
        except ValueError as exc:
            raise BackendError(
                self.id,
                f"answered with something that is not JSON ({response.text[:120]!r})",
                status=response.status_code,
            ) from exc

    async def aclose(self) -> None:
        if "http" in self.__dict__:
            await self.http.aclose()
        if self.cache is not None:
            await asyncio.to_thread(self.cache.close)

    async def _cached(
        self,
        kind: str,
        query: str,
        k: int,
        model: type[H],
        fetch: Callable[[str, int], Awaitable[list[H]]],
    ) -> list[H]:
        adapter: TypeAdapter[list[H]] = _ADAPTERS[model]
        if self.cache is not None:
            payload = await asyncio.to_thread(self.cache.get, self.cache_scope, query, k, kind)
            if payload is not None:
                return adapter.validate_json(payload)
        hits = (await fetch(query, min(k, self.max_k)))[:k]
        if self.cache is not None:
            data = adapter.dump_json(hits).decode()
            await asyncio.to_thread(self.cache.put, self.cache_scope, query, k, kind, data)
        return hits

    def _classify(self, response: httpx2.Response, error: BackendError) -> BackendError:
        error = self.classify(response, error)
        if not isinstance(error, AuthError):
            return error
        if not self.key_var:  # a keyless service refusing us: not a key problem
            message = error.message.removeprefix("the key was rejected: ")
            return rebuild(error, BackendError, message=f"refused: {message}", retryable=False)
        if self.key_var not in error.message:
            return rebuild(error, message=f"{error.message} (check {self.key_var})")
        return error

    def _default_cache(self) -> SearchCache | None:
        ttl = float(self.option("cache_ttl_s", self.settings.search_cache_ttl_s))
        return SearchCache(self.settings.home / CACHE_FILE, ttl) if ttl > 0 else None


def rebuild(
    error: BackendError,
    cls: type[BackendError] | None = None,
    *,
    message: str | None = None,
    retryable: bool | None = None,
    retry_after: float | None = None,
) -> BackendError:
    """`error` with another type, message or retry hint, every other field kept."""
    return (cls or type(error))(
        error.backend_id,
        message if message is not None else error.message,
        retryable=error.retryable if retryable is None else retryable,
        status=error.status,
        code=error.code,
        request_id=error.request_id,
        retry_after=error.retry_after if retry_after is None else retry_after,
    )
