"""The one way imagent reads an image it did not make: a path, an http(s) URL, bytes or a
data URL, for reference and edit images, renderers' result downloads and image search.

Every image passes the same checks: a byte limit (enforced while downloading), a pixel
limit read from the header before anything is decoded (decompression bombs), the formats
listed in the policy, a full decode (truncated files fail here, not in a renderer), and
the first frame of an animation. URLs are fetched only from public addresses: the host's
every DNS answer is checked, the connection goes to the address that was checked (no DNS
rebinding between check and connect), and each redirect is checked again.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import socket
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes, urlsplit

import httpx2
from PIL import Image, UnidentifiedImageError

from imagent.backends.retry import RetryPolicy, call_with_retries
from imagent.core.errors import BackendError, BadImageError

if TYPE_CHECKING:
    from imagent.settings import Settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ImageSource = str | bytes | Path
FETCHER_ID = "images"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BINARY_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class ImageFetchError(BackendError):
    """Downloading an image failed (network, or the server's answer); `status` says how."""


@dataclass(frozen=True)
class ImagePolicy:
    """Limits on images read from outside, and which private networks URLs may reach."""

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 64 * 1024 * 1024
    formats: frozenset[str] = frozenset({"PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF"})
    timeout_s: float = 30.0
    max_redirects: int = 5
    allow_networks: tuple[IPNetwork, ...] = ()  # private ranges URLs may reach anyway

    @classmethod
    def from_settings(cls, settings: Settings) -> ImagePolicy:
        return cls(allow_networks=parse_networks(settings.image_allow_networks))

    def address_allowed(self, address: IPAddress) -> bool:
        """Public addresses, plus those in `allow_networks`."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in net for net in self.allow_networks if net.version == address.version):
            return True
        return address.is_global and not address.is_multicast


def parse_networks(values: list[str]) -> tuple[IPNetwork, ...]:
    """CIDR ranges ("127.0.0.0/8", "10.1.2.3") from the `image_allow_networks` setting."""
    try:
        return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())
    except ValueError as exc:
        raise BadImageError(
            f"image_allow_networks: {exc}; give CIDR ranges such as 10.0.0.0/8"
        ) from exc


@dataclass(frozen=True)
class LoadedImage:
    """A checked image: its original bytes, what they are, and a label safe to log."""

    data: bytes = field(repr=False)
    format: str
    width: int
    height: int
    label: str
    frames: int = 1

    @property
    def mime(self) -> str:
        return Image.MIME.get(self.format, "application/octet-stream")

    def to_pil(self) -> Image.Image:
        """The (first frame of the) image, decoded, in RGB or RGBA."""
        with Image.open(io.BytesIO(self.data)) as image:
            image.seek(0)
            mode = (
                "RGBA"
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                else "RGB"
            )
            return image.convert(mode)

    def encoded(self, formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP")) -> tuple[bytes, str]:
        """Bytes and MIME type a provider accepts: the original when its format is in
        `formats` and it is a still image, else the first frame re-encoded as PNG."""
        if self.format in formats and self.frames == 1:
            return self.data, self.mime
        buffer = io.BytesIO()
        self.to_pil().save(buffer, format="PNG")
        return buffer.getvalue(), "image/png"

    def data_url(self, formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP")) -> str:
        data, mime = self.encoded(formats)
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def decode_image(data: bytes, label: str, policy: ImagePolicy | None = None) -> LoadedImage:
    """Check `data` against the policy and decode it fully; BadImageError says what is wrong."""
    policy = policy or ImagePolicy()
    if len(data) > policy.max_bytes:
        raise BadImageError(
            f"image {label} is {len(data) / 1e6:.1f} MB; the limit is {policy.max_bytes / 1e6:.0f} MB"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format or "", image.size
                if fmt not in policy.formats:
                    raise BadImageError(
                        f"image {label} is {fmt or 'of an unknown format'}; "
                        f"accepted formats: {', '.join(sorted(policy.formats))}"
                    )
                if width * height > policy.max_pixels:  # before decoding: a bomb stops here
                    raise BadImageError(
                        f"image {label} is {width}x{height}, over the limit of "
                        f"{policy.max_pixels:,} pixels"
                    )
                frames = getattr(image, "n_frames", 1)
                image.seek(0)
                image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise BadImageError(f"image {label} has too many pixels to decode safely: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise BadImageError(f"image {label} is not a readable image: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BadImageError(
            f"image {label} is not a readable image: corrupt or truncated ({exc})"
        ) from exc
    return LoadedImage(data, fmt, width, height, label, frames)


def read_image_file(path: str | Path, policy: ImagePolicy | None = None) -> LoadedImage:
    """A checked image from a local file."""
    policy = policy or ImagePolicy()
    file = Path(path).expanduser()
    if not file.is_file():
        raise BadImageError(f"image {str(path)!r} does not exist or is not a file")
    with file.open("rb") as handle:
        data = handle.read(policy.max_bytes + 1)
    return decode_image(data, repr(str(path)), policy)


def decode_data_url(url: str, policy: ImagePolicy | None = None) -> LoadedImage:
    """A checked image from a `data:image/...;base64,...` URL."""
    policy = policy or ImagePolicy()
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:"):
        raise BadImageError("a data URL must look like data:image/png;base64,...")
    label = f"from a data URL ({header[5:].split(';')[0] or 'no type'})"
    if len(payload) > policy.max_bytes * 4 // 3 + 4:
        raise BadImageError(f"image {label} is over the limit of {policy.max_bytes / 1e6:.0f} MB")
    try:
        if header.endswith(";base64"):
            data = base64.b64decode(payload, validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise BadImageError(f"image {label} has bad base64: {exc}") from exc
    return decode_image(data, label, policy)


def url_label(url: str) -> str:
    """A URL without its query and fragment: signed URLs carry credentials there."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


async def load_image(
    source: ImageSource,
    policy: ImagePolicy | None = None,
    fetcher: ImageFetcher | None = None,
) -> LoadedImage:
    """A checked image from a path, an http(s) URL, a data URL or bytes."""
    policy = policy or (fetcher.policy if fetcher else ImagePolicy())
    if isinstance(source, bytes):
        return await asyncio.to_thread(decode_image, source, "from bytes", policy)
    if isinstance(source, Path):
        return await asyncio.to_thread(read_image_file, source, policy)
    scheme = (
        urlsplit(source).scheme.lower() if "://" in source or source.startswith("data:") else ""
    )
    if scheme == "data":
        return await asyncio.to_thread(decode_data_url, source, policy)
    if scheme in ("http", "https"):
        if fetcher is not None:
            return await fetcher.fetch(source)
        async with ImageFetcher(policy) as own:
            return await own.fetch(source)
    if scheme:
        raise BadImageError(
            f"image {url_label(source)!r}: {scheme}:// is not supported; "
            "give a file path, an http(s) URL or a data URL"
        )
    return await asyncio.to_thread(read_image_file, source, policy)


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
