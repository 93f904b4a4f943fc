"""Fixtures that put a fake API on loopback and point imagent at it (key and base URL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.a1111 import FakeA1111
from tests.fakes.comfyui import FakeComfyUI
from tests.fakes.dashscope import FakeDashScope
from tests.fakes.openai_images import FakeOpenAIImages
from tests.fakes.server import LoopbackServer
from tests.fakes.tiny_diffusers import build_tiny_pipeline


class Switchboard:
    """One server for the whole session; each test plugs in a fresh fake."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no fake is plugged in"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[tuple[LoopbackServer, Switchboard]]:
    board = Switchboard()
    with LoopbackServer(board) as server:
        yield server, board


@pytest.fixture
def fake_base(_fake_server: tuple[LoopbackServer, Switchboard]) -> str:
    """The fake server's URL; results served there may be downloaded (loopback allowed)."""
    return _fake_server[0].url


def _plug(board: Switchboard, app: ASGIApp, monkeypatch: pytest.MonkeyPatch) -> None:
    board.app = app
    monkeypatch.setenv("IMAGENT_IMAGE_ALLOW_NETWORKS", "127.0.0.0/8")


def _section(monkeypatch: pytest.MonkeyPatch, provider: str, **section: Any) -> None:
    """`[providers.<provider>]` through the environment, for runs that build their own settings."""
    monkeypatch.setenv("IMAGENT_PROVIDERS", json.dumps({provider: section}))


@pytest.fixture
def dashscope(
    _fake_server: tuple[LoopbackServer, Switchboard], monkeypatch: pytest.MonkeyPatch
) -> FakeDashScope:
    server, board = _fake_server
    fake = FakeDashScope(base=server.url)
    _plug(board, fake.app(), monkeypatch)
    monkeypatch.setenv("DASHSCOPE_API_KEY", fake.key)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{server.url}/api/v1")
    _section(monkeypatch, "dashscope", options={"poll_wait_s": 0.01})
    return fake


@pytest.fixture
def openai_images(
    _fake_server: tuple[LoopbackServer, Switchboard], monkeypatch: pytest.MonkeyPatch
) -> FakeOpenAIImages:
    server, board = _fake_server
    fake = FakeOpenAIImages()
    _plug(board, fake.app(), monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", fake.key)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    return fake


@pytest.fixture
def comfyui(
    _fake_server: tuple[LoopbackServer, Switchboard], monkeypatch: pytest.MonkeyPatch
) -> FakeComfyUI:
    server, board = _fake_server
    fake = FakeComfyUI()
    _plug(board, fake.app(), monkeypatch)
    _section(monkeypatch, "comfyui", base_url=server.url, options={"poll_wait_s": 0.01})
    return fake


@pytest.fixture
def a1111(
    _fake_server: tuple[LoopbackServer, Switchboard], monkeypatch: pytest.MonkeyPatch
) -> FakeA1111:
    server, board = _fake_server
    fake = FakeA1111()
    _plug(board, fake.app(), monkeypatch)
    _section(monkeypatch, "a1111", base_url=server.url)
    return fake


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny random Stable Diffusion pipeline folder; skips when the extra is missing."""
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    torch = pytest.importorskip("torch", reason="the diffusers extra is not installed")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only contend (measured 10x slower)
    yield build_tiny_pipeline(tmp_path_factory.mktemp("tiny-sd"))
    torch.set_num_threads(threads)
