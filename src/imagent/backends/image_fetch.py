"""Downloading images from URLs, only from public addresses.

Every address the host resolves to is checked, the connection goes to the address that
was checked (no DNS rebinding between the check and the connect; TLS still verifies the
host name), each redirect is checked again, the body is capped while it streams, and what
comes back is decoded under the same `ImagePolicy` as any other image.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx2

from imagent.backends.images import (
    ImagePolicy,
    IPAddress,
    LoadedImage,
    decode_image,
    url_label,
)
from imagent.backends.retry import RetryPolicy, call_with_retries
from imagent.core.errors import BackendError, BadImageError

FETCHER_ID = "images"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BINARY_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class ImageFetchError(BackendError):
    """Downloading an image failed (network, or the server's answer); `status` says how."""


class _CheckedAddressTransport(httpx2.AsyncBaseTransport):
    """Resolves the host itself, refuses private answers, and connects to the address it
    checked (the Host header and TLS name stay the host's)."""

    def __init__(self, policy: ImagePolicy, inner: httpx2.AsyncBaseTransport) -> None:
        self.policy = policy
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        address = await self._checked_address(host, request.url.port or _default_port(request))
        pinned = httpx2.Request(
            request.method,
            request.url.copy_with(host=str(address)),
            headers=request.headers,  # keeps Host: the name, not the address
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": host},
        )
        return await self.inner.handle_async_request(pinned)

    async def _checked_address(self, host: str, port: int) -> IPAddress:
        try:
            answers = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise ImageFetchError(FETCHER_ID, f"cannot resolve {host}: {exc}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in answers]
        refused = [a for a in addresses if not self.policy.address_allowed(a)]
        if refused or not addresses:
            raise BadImageError(
                f"refusing to fetch an image from {host}: it resolves to "
                f"{', '.join(map(str, refused or addresses))}, a private, loopback, link-local "
                "or multicast address. Allow a trusted range with the image_allow_networks "
                "setting (IMAGENT_IMAGE_ALLOW_NETWORKS, e.g. 10.0.0.0/8)"
            )
        return addresses[0]

    async def aclose(self) -> None:
        await self.inner.aclose()


def _default_port(request: httpx2.Request) -> int:
    return 443 if request.url.scheme == "https" else 80


class ImageFetcher:
    """Downloads images from public URLs under an `ImagePolicy`; one pooled client."""

    def __init__(
        self,
        policy: ImagePolicy | None = None,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.policy = policy or ImagePolicy()
        self.retry = retry or RetryPolicy()
        inner = transport or httpx2.AsyncHTTPTransport(trust_env=False)  # no proxy: we resolve
        self._transport = _CheckedAddressTransport(self.policy, inner)
        self._client: httpx2.AsyncClient | None = None

    @property
    def client(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                transport=self._transport,
                timeout=httpx2.Timeout(self.policy.timeout_s),
                follow_redirects=False,  # each hop is checked here
                trust_env=False,
                headers={"Accept": "image/*"},
            )
        return self._client

    async def __aenter__(self) -> ImageFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str) -> LoadedImage:
        """The checked image at `url`; transient failures are retried by the shared policy."""
        data = await call_with_retries(lambda: self.fetch_bytes(url), self.retry)
        return await asyncio.to_thread(decode_image, data, url_label(url), self.policy)

    async def fetch_bytes(self, url: str) -> bytes:
        """The body at `url`, following at most `max_redirects` checked redirects."""
        current = url
        for _ in range(self.policy.max_redirects + 1):
            _check_scheme(current)
            try:
                async with self.client.stream("GET", current) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    _check_answer(response, url_label(current))
                    return await self._read_capped(response, url_label(current))
            except httpx2.TransportError as exc:
                raise ImageFetchError(
                    FETCHER_ID, f"downloading {url_label(current)} failed: {exc}", retryable=True
                ) from exc
        raise BadImageError(
            f"image {url_label(url)}: more than {self.policy.max_redirects} redirects"
        )

    async def _read_capped(self, response: httpx2.Response, label: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise BadImageError(f"image {label} is {int(declared) / 1e6:.1f} MB; too large")
        chunks, total = [], 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > self.policy.max_bytes:
                raise BadImageError(
                    f"image {label} is over the limit of {self.policy.max_bytes / 1e6:.0f} MB"
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _check_scheme(url: str) -> None:
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise BadImageError(f"image URL {url_label(url)!r} is not http(s)")


def _check_answer(response: httpx2.Response, label: str) -> None:
    status = response.status_code
    if status >= 400:
        raise ImageFetchError(
            FETCHER_ID,
            f"downloading {label} failed: HTTP {status} {response.reason_phrase}",
            status=status,
            retryable=status >= 500 or status in (408, 429),
        )
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith("image/") and kind not in _BINARY_TYPES:
        raise BadImageError(f"{label} answered with {kind}, not an image")
