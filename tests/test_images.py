"""The one image loader and fetcher: limits, bombs, formats, and no private addresses."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from imagent.agent.inputs import check_image
from imagent.backends.image_fetch import ImageFetcher, ImageFetchError
from imagent.backends.images import (
    ImagePolicy,
    decode_image,
    load_image,
    parse_networks,
)
from imagent.backends.retry import RetryPolicy
from imagent.core.errors import BadImageError, ConfigError
from imagent.core.types import Request as ImageRequest
from imagent.settings import Settings
from tests.fakes.fixtures import Switchboard

LOOPBACK = ImagePolicy(allow_networks=parse_networks(["127.0.0.0/8"]))


def png_bytes(size: tuple[int, int] = (8, 6), colour: tuple[int, int, int] = (9, 99, 199)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions in a few bytes: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


class Host:
    """A loopback web server with the pages the fetcher must cope with."""

    def __init__(self) -> None:
        self.flaky = 1
        self.hits: dict[str, int] = {}

    def app(self) -> Starlette:
        def page(path: str, handler):  # type: ignore[no-untyped-def]
            async def counted(request: Request) -> Response:
                self.hits[path] = self.hits.get(path, 0) + 1
                return handler(request)

            return Route(path, counted)

        return Starlette(
            routes=[
                page("/img.png", lambda r: Response(png_bytes(), media_type="image/png")),
                page(
                    "/octet", lambda r: Response(png_bytes(), media_type="application/octet-stream")
                ),
                page("/redirect", lambda r: RedirectResponse("img.png", status_code=302)),
                page(
                    "/to-private",
                    lambda r: RedirectResponse("http://10.0.0.1/x.png", status_code=302),
                ),
                page("/loop", lambda r: RedirectResponse("loop", status_code=302)),
                page("/html", lambda r: Response("<html>hi</html>", media_type="text/html")),
                page("/gone", lambda r: Response("expired", status_code=403)),
                page(
                    "/stream",
                    lambda r: StreamingResponse(iter([b"x" * 1000] * 5), media_type="image/png"),
                ),
                page("/flaky", self._flaky),
            ]
        )

    def _flaky(self, request: Request) -> Response:
        if self.flaky > 0:
            self.flaky -= 1
            return Response(status_code=503)
        return Response(png_bytes(), media_type="image/png")


@pytest.fixture
def host(plugboard: Switchboard) -> tuple[str, Host]:
    fake = Host()
    return plugboard.plug("host", fake.app()), fake


def fetcher(policy: ImagePolicy = LOOPBACK) -> ImageFetcher:
    return ImageFetcher(policy, retry=RetryPolicy(attempts=3, first_wait_s=0))


# -- decoding ---------------------------------------------------------------------------------


def test_a_still_image_is_checked_and_kept_as_sent() -> None:
    data = png_bytes((8, 6))
    loaded = decode_image(data, "x")
    assert (loaded.format, loaded.width, loaded.height, loaded.frames) == ("PNG", 8, 6, 1)
    assert loaded.encoded() == (data, "image/png")
    assert loaded.data_url().startswith("data:image/png;base64,")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    with pytest.raises(BadImageError, match="pixels"):
        decode_image(png_header_only(10_000, 10_000), "bomb")
    with pytest.raises(BadImageError, match="pixels"):
        decode_image(png_header_only(30_000, 30_000), "bigger bomb")  # past Pillow's own limit
    with pytest.raises(BadImageError, match="pixels"):
        decode_image(png_bytes((40, 40)), "small", ImagePolicy(max_pixels=1000))


def test_limits_formats_and_corruption_are_named() -> None:
    with pytest.raises(BadImageError, match="limit is"):
        decode_image(png_bytes(), "x", ImagePolicy(max_bytes=10))
    ico = io.BytesIO()
    Image.new("RGB", (16, 16)).save(ico, format="ICO")
    with pytest.raises(BadImageError, match="accepted formats"):
        decode_image(ico.getvalue(), "icon")
    with pytest.raises(BadImageError, match="not a readable image"):
        decode_image(b"plain text", "text")
    with pytest.raises(BadImageError, match="corrupt or truncated"):
        decode_image(png_bytes((64, 64))[:-40], "cut")


def test_an_animation_becomes_its_first_frame() -> None:
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    loaded = decode_image(buffer.getvalue(), "gif")
    assert loaded.frames == 2
    data, mime = loaded.encoded(("PNG", "JPEG"))
    assert mime == "image/png"
    with Image.open(io.BytesIO(data)) as first:
        assert first.convert("RGB").getpixel((0, 0))[0] > 200  # type: ignore[index]


async def test_paths_bytes_and_data_urls_share_one_loader(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(png_bytes((5, 4)))
    url = "data:image/png;base64," + base64.b64encode(png_bytes((5, 4))).decode()
    for source in (str(path), path, png_bytes((5, 4)), url):
        assert (await load_image(source)).width == 5
    with pytest.raises(BadImageError, match="does not exist"):
        await load_image(str(tmp_path / "missing.png"))
    with pytest.raises(BadImageError, match="bad base64"):
        await load_image("data:image/png;base64,@@@")
    with pytest.raises(BadImageError, match="ftp:// is not supported"):
        await load_image("ftp://example.com/a.png")


async def test_request_images_take_bytes_as_data_urls_and_check_image_reads_them(
    settings: Settings,
) -> None:
    request = ImageRequest(prompt="edit this", images=[png_bytes((7, 3))])
    assert request.images[0].startswith("data:")
    loaded = await check_image(request.images[0], settings)
    assert (loaded.width, loaded.height) == (7, 3) and "data URL" in loaded.label


# -- fetching ---------------------------------------------------------------------------------


async def test_public_fetches_follow_checked_redirects(host: tuple[str, Host]) -> None:
    base, _ = host
    async with fetcher() as f:
        assert (await f.fetch(f"{base}/img.png")).width == 8
        assert (await f.fetch(f"{base}/redirect")).width == 8
        assert (await f.fetch(f"{base}/octet")).format == "PNG"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "http://localhost:9/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x.png",
        "http://[::1]:9/x.png",
        "http://[::ffff:127.0.0.1]:9/x.png",
        "http://224.0.0.1/x.png",
    ],
)
async def test_private_loopback_link_local_and_multicast_addresses_are_refused(url: str) -> None:
    async with ImageFetcher() as f:
        with pytest.raises(BadImageError, match="image_allow_networks"):
            await f.fetch(url)


async def test_a_redirect_to_a_private_address_is_refused(host: tuple[str, Host]) -> None:
    base, _ = host
    async with fetcher() as f:
        with pytest.raises(BadImageError, match=r"10\.0\.0\.1"):
            await f.fetch(f"{base}/to-private")
        with pytest.raises(BadImageError, match="redirects"):
            await f.fetch(f"{base}/loop")


async def test_answers_that_are_not_images_are_refused(host: tuple[str, Host]) -> None:
    base, fake = host
    async with fetcher() as f:
        with pytest.raises(BadImageError, match="text/html"):
            await f.fetch(f"{base}/html")
        with pytest.raises(ImageFetchError) as caught:
            await f.fetch(f"{base}/gone?Signature=secret")
        assert caught.value.status == 403 and "secret" not in str(caught.value)
        assert fake.hits["/gone"] == 1  # a 403 is not retried
    async with fetcher(ImagePolicy(max_bytes=2000, allow_networks=LOOPBACK.allow_networks)) as f:
        with pytest.raises(BadImageError, match="limit"):
            await f.fetch(f"{base}/stream")


async def test_transient_failures_are_retried(host: tuple[str, Host]) -> None:
    base, fake = host
    async with fetcher() as f:
        assert (await f.fetch(f"{base}/flaky")).width == 8
    assert fake.hits["/flaky"] == 2


def test_allowed_networks_are_cidr_ranges() -> None:
    with pytest.raises(ConfigError, match="IMAGENT_IMAGE_ALLOW_NETWORKS"):
        parse_networks(["not-a-network"])
    assert Settings(image_allow_networks="10.0.0.0/8, 127.0.0.1").image_allow_networks == [
        "10.0.0.0/8",
        "127.0.0.1",
    ]


def test_an_image_too_large_for_a_provider_is_scaled_down_once() -> None:
    loaded = decode_image(png_bytes((300, 200)), "x")
    assert loaded.within(400) is loaded
    smaller = loaded.within(150)
    assert (smaller.width, smaller.height, smaller.format) == (150, 100, "PNG")
    noisy = Image.effect_noise((400, 400), 80).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    squeezed = decode_image(buffer.getvalue(), "noise").within(400, max_bytes=100_000)
    assert squeezed.format == "JPEG" and len(squeezed.data) <= 100_000
