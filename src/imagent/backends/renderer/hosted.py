"""What renderers behind an HTTP API share: their `[providers.<name>]` section, base URL and
key, one pooled client, result downloads, prices, and a bounded fan-out over seeds.

A renderer module keeps only its API's request and response shapes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import difflib
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, TypeVar

import httpx2
from PIL import Image

from imagent.backends.http import HTTPProvider, api_key
from imagent.backends.image_fetch import ImageFetcher
from imagent.backends.images import ImagePolicy, decode_image
from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.backends.retry import RetryPolicy
from imagent.core.errors import BackendError, BadImageError, ConfigError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings

T = TypeVar("T")
V = TypeVar("V")


def table_entry(table: Mapping[str, V], model: str) -> V | None:
    """`model`'s entry in a price table: its own, else the longest name it starts with
    (dated snapshots such as `qwen-image-plus-2026-01-09` cost what their family costs)."""
    if model in table:
        return table[model]
    families = [name for name in table if model.startswith(name + "-")]
    return table[max(families, key=len)] if families else None


def _shape(model: str) -> str:
    return re.sub(r"[\d.]+", "#", model)


class HostedRenderer(Renderer):
    """A renderer that speaks to a service over HTTP. Subclasses set the class attributes
    below and write `render` with `self.http`, `self.each_seed` and `self.download`."""

    default_base_url: ClassVar[str] = ""
    base_url_env: ClassVar[str | None] = None  # the provider SDK's own variable, if any
    key_env: ClassVar[str | None] = None  # None: the service takes no key
    key_required: ClassVar[bool] = True
    price_table: ClassVar[Mapping[str, float]] = {}  # USD per image by model (or model:variant)
    known_models: ClassVar[tuple[str, ...]] = ()  # names a near miss is checked against

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(model, settings)
        self.config = self.settings.provider(self.provider)
        self.transport = transport
        self._http: HTTPProvider | None = None
        self._fetcher: ImageFetcher | None = None
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    @classmethod
    def check_model(cls, model: str) -> None:
        """A name a letter or two off a known model is a typo, said before any request.
        Other names go to the service as they are: providers add models often, and a name
        that differs only in its numbers is taken for a new version."""
        if not model or table_entry(dict.fromkeys(cls.known_models), model) is not None:
            return
        if _shape(model) in {_shape(known) for known in cls.known_models}:
            return
        close = difflib.get_close_matches(model, cls.known_models, n=3, cutoff=0.9)
        if close:
            raise ConfigError(
                f"unknown {cls.provider} model {model!r}. Did you mean "
                f"{' or '.join(repr(f'{cls.provider}/{c}') for c in close)}?"
            )

    @property
    def base_url(self) -> str:
        """`[providers.<name>] base_url`, else the SDK's environment variable, else the default."""
        from_env = os.environ.get(self.base_url_env, "").strip() if self.base_url_env else ""
        return (self.config.base_url or from_env or self.default_base_url).rstrip("/")

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the key; read when the first request is made."""
        env = self.config.api_key_env or self.key_env
        key = api_key(env, self.id, required=self.key_required) if env else None
        return {"Authorization": f"Bearer {key}"} if key else {}

    @property
    def http(self) -> HTTPProvider:
        if self._http is None:
            self._http = HTTPProvider(
                self.id,
                self.base_url,
                headers=self.auth_headers(),
                timeout_s=self.config.timeout_s,
                connect_timeout_s=self.config.connect_timeout_s,
                max_connections=self.config.concurrency,
                policy=RetryPolicy.from_settings(self.settings),
                transport=self.transport,
                classify=self.classify_error,
            )
        return self._http

    def classify_error(self, response: httpx2.Response, error: BackendError) -> BackendError:
        """A provider's own reading of an error answer; the shared one by default."""
        return error

    @property
    def fetcher(self) -> ImageFetcher:
        """Downloads result URLs under the image policy (public addresses only, limits)."""
        if self._fetcher is None:
            self._fetcher = ImageFetcher(
                ImagePolicy.from_settings(self.settings),
                retry=RetryPolicy.from_settings(self.settings),
            )
        return self._fetcher

    def option(self, name: str, default: T) -> T:
        """`[providers.<name>.options] <name>`, checked against the default's type."""
        value = self.config.options.get(name, default)
        kind = type(default)
        ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ConfigError(
                f"[providers.{self.provider}.options] {name} must be a {kind.__name__}, "
                f"not {value!r}"
            )
        return value  # type: ignore[no-any-return]

    def price_per_image(self, variant: str | None = None) -> float:
        """USD per image: `[providers.<name>.prices."<model>"] per_image` if configured,
        else the built-in table (by `model:variant` first when a variant is given)."""
        configured = self.config.prices.get(self.model)
        if configured is not None:
            return configured.per_image
        if variant is not None and (
            price := table_entry(self.price_table, f"{self.model}:{variant}")
        ):
            return price
        return table_entry(self.price_table, self.model) or 0.0

    async def each_seed(
        self, spec: GenerationSpec, one: Callable[[int], Awaitable[RenderedImage]]
    ) -> list[RenderedImage]:
        """`one(seed)` for every seed of the spec, at most `max_concurrency` at once, in order."""

        async def bounded(seed: int) -> RenderedImage:
            async with self.slots():
                return await one(seed)

        return list(await asyncio.gather(*(bounded(seed) for seed in spec.seeds)))

    def slots(self) -> asyncio.Semaphore:
        """Bounds the renders in flight: `max_concurrency`, or the provider's `concurrency`
        if lower. One per event loop (a backend may outlive a loop: `Agent.run_sync`)."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            limit = min(self.max_concurrency, self.config.concurrency)
            self._slots = (loop, asyncio.Semaphore(limit))
        return self._slots[1]

    async def download(self, url: str) -> Image.Image:
        """A result image at `url`, fetched at once (result URLs expire)."""
        loaded = await self.fetcher.fetch(url)
        return await asyncio.to_thread(loaded.to_pil)

    def decode_b64(self, text: str, what: str = "result image") -> Image.Image:
        """A base64 image from a response body, checked like any image read from outside."""
        try:
            data = base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text)
        except (binascii.Error, ValueError) as exc:
            raise BackendError(self.id, f"the {what} is not valid base64: {exc}") from exc
        try:
            return decode_image(data, f"{what} from {self.id}").to_pil()
        except BadImageError as exc:
            raise BackendError(self.id, str(exc)) from exc

    def body(self, response: httpx2.Response) -> dict[str, Any]:
        """The JSON object a successful response carries; a clear error otherwise."""
        try:
            data = response.json()
        except ValueError as exc:
            raise BackendError(self.id, f"answered with non-JSON: {response.text[:200]!r}") from exc
        if not isinstance(data, dict):
            raise BackendError(self.id, f"answered with unexpected JSON: {str(data)[:200]}")
        return data

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
