"""Fixtures that put a fake API on loopback and point imagent at it (key and base URL)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.a1111 import FakeA1111
from tests.fakes.comfyui import FakeComfyUI
from tests.fakes.dashscope import FakeDashScope
from tests.fakes.openai_images import FakeOpenAIImages
from tests.fakes.server import LoopbackServer
from tests.fakes.tiny_diffusers import build_tiny_pipeline


class Switchboard:
    """One server for the whole session: each fake is plugged in under its own first path
    segment (`/dashscope/...`, `/openai/...`), so several can serve one test."""

    def __init__(self, url: str = "") -> None:
        self.url = url
        self.apps: dict[str, ASGIApp] = {}

    def plug(self, name: str, app: ASGIApp) -> str:
        """Serve `app` under `/<name>`; returns that base URL."""
        self.apps[name] = app
        return f"{self.url}/{name}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name, _, rest = scope["path"][1:].partition("/")
        app = self.apps.get(name)
        if app is None:
            await Response("no fake is plugged in here", status_code=404)(scope, receive, send)
            return
        await app({**scope, "path": "/" + rest, "raw_path": ("/" + rest).encode()}, receive, send)


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[Switchboard]:
    board = Switchboard()
    with LoopbackServer(board) as server:
        board.url = server.url
        yield board


@pytest.fixture
def plugboard(_fake_server: Switchboard, monkeypatch: pytest.MonkeyPatch) -> Iterator[Switchboard]:
    """The session's fake server, emptied after the test; results served there may be
    downloaded (loopback is allowed for image URLs)."""
    monkeypatch.setenv("IMAGENT_IMAGE_ALLOW_NETWORKS", "127.0.0.0/8")
    yield _fake_server
    _fake_server.apps.clear()


def _section(monkeypatch: pytest.MonkeyPatch, provider: str, **section: Any) -> None:
    """`[providers.<provider>]` through the environment, for runs that build their own settings."""
    sections = json.loads(os.environ.get("IMAGENT_PROVIDERS", "{}"))
    monkeypatch.setenv("IMAGENT_PROVIDERS", json.dumps({**sections, provider: section}))


@pytest.fixture
def dashscope(plugboard: Switchboard, monkeypatch: pytest.MonkeyPatch) -> FakeDashScope:
    fake = FakeDashScope()
    fake.base = plugboard.plug("dashscope", fake.app())
    monkeypatch.setenv("DASHSCOPE_API_KEY", fake.key)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", f"{fake.base}/api/v1")
    _section(monkeypatch, "dashscope", options={"poll_wait_s": 0.01})
    return fake


@pytest.fixture
def openai_images(plugboard: Switchboard, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAIImages:
    fake = FakeOpenAIImages()
    base = plugboard.plug("openai", fake.app())
    monkeypatch.setenv("OPENAI_API_KEY", fake.key)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{base}/v1")
    return fake


@pytest.fixture
def comfyui(plugboard: Switchboard, monkeypatch: pytest.MonkeyPatch) -> FakeComfyUI:
    fake = FakeComfyUI()
    fake.base = plugboard.plug("comfyui", fake.app())
    _section(monkeypatch, "comfyui", base_url=fake.base, options={"poll_wait_s": 0.01})
    return fake


@pytest.fixture
def a1111(plugboard: Switchboard, monkeypatch: pytest.MonkeyPatch) -> FakeA1111:
    fake = FakeA1111()
    fake.base = plugboard.plug("a1111", fake.app())
    _section(monkeypatch, "a1111", base_url=fake.base)
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
