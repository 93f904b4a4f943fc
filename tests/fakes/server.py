"""Serve an ASGI app on 127.0.0.1 in a background thread, for as long as a test needs it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import time
from types import TracebackType

import uvicorn
from PIL import Image
from starlette.types import ASGIApp


class LoopbackServer:
    """`with LoopbackServer(app) as server: server.url` — a real HTTP server on a free port."""

    def __init__(self, app: ASGIApp) -> None:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="error", lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake server did not start")
            time.sleep(0.005)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def png(width: int, height: int, key: str, tint: tuple[int, int, int] | None = None) -> bytes:
    """A deterministic PNG: its colour comes from `key`; a `tint` fills the top-left quarter
    (fakes of edit endpoints put the first input image's colour there)."""
    digest = hashlib.sha256(key.encode()).digest()
    image = Image.new("RGB", (width, height), tuple(digest[:3]))
    if tint is not None:
        image.paste(tint, (0, 0, max(1, width // 2), max(1, height // 2)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mean_colour(data: bytes) -> tuple[int, int, int]:
    """The average colour of an image (fakes use it to show which input they edited)."""
    with Image.open(io.BytesIO(data)) as image:
        r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return int(r), int(g), int(b)


async def pause(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)
