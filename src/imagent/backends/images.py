"""The one way imagent reads an image it did not make: a path, an http(s) URL, bytes or a
data URL, for reference and edit images, renderers' result downloads and image search.
URLs are fetched by `image_fetch.ImageFetcher`.

Every image passes the same checks: a byte limit (enforced while downloading), a pixel
limit read from the header before anything is decoded (decompression bombs), the formats
listed in the policy, a full decode (truncated files fail here, not in a renderer), and
the first frame of an animation.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes, urlsplit

from PIL import Image, UnidentifiedImageError

from imagent.core.errors import BadImageError, ConfigError

if TYPE_CHECKING:
    from imagent.backends.image_fetch import ImageFetcher
    from imagent.settings import Settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ImageSource = str | bytes | Path


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
        raise ConfigError(
            f"image_allow_networks (IMAGENT_IMAGE_ALLOW_NETWORKS): {exc}; "
            "give CIDR ranges such as 10.0.0.0/8"
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

    def within(self, max_side: int, max_bytes: int | None = None) -> LoadedImage:
        """This image as a provider takes it: scaled down to `max_side`, and re-encoded (PNG,
        else JPEG, else smaller) until it is under `max_bytes`; itself when it already fits."""
        if max(self.width, self.height) <= max_side and (
            max_bytes is None or len(self.data) <= max_bytes
        ):
            return self
        source, side = self.to_pil(), max_side
        while True:
            image = source.copy()
            image.thumbnail((side, side), Image.Resampling.LANCZOS)
            for fmt in ("PNG", "JPEG"):
                buffer = io.BytesIO()
                (image if fmt == "PNG" else image.convert("RGB")).save(buffer, format=fmt)
                data = buffer.getvalue()
                if max_bytes is None or len(data) <= max_bytes or side <= 64:
                    return LoadedImage(data, fmt, image.width, image.height, self.label)
            side = int(side * 0.7)


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
    """A URL without user info, query and fragment: signed URLs carry credentials there."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


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
        from imagent.backends.image_fetch import ImageFetcher  # it builds on this module

        async with ImageFetcher(policy) as own:
            return await own.fetch(source)
    if scheme:
        raise BadImageError(
            f"image {url_label(source)!r}: {scheme}:// is not supported; "
            "give a file path, an http(s) URL or a data URL"
        )
    return await asyncio.to_thread(read_image_file, source, policy)
