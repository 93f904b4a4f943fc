"""Serving the fake OpenAI-compatible server to a test, with the env the SDK would read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from imagent.backends.llm.server_quirks import forget_all
from imagent.testing import FakeOpenAIServer

KEY = "sk-test-secret-key-0123456789abcdef"
# Variables the SDK reads on its own; a developer's real ones must not leak into tests.
SDK_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_ADMIN_KEY",
    "OPENAI_CUSTOM_HEADERS",
    "DASHSCOPE_API_KEY",
    "DASHSCOPE_HTTP_BASE_URL",
    "DASHSCOPE_COMPATIBLE_BASE_URL",
)


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> Iterator[FakeOpenAIServer]:
    """A fake server, with OPENAI_API_KEY and OPENAI_BASE_URL pointing at it."""
    for name in SDK_ENV:
        monkeypatch.delenv(name, raising=False)
    forget_all()
    kwargs.setdefault("key", KEY)
    with FakeOpenAIServer(**kwargs) as server:
        if server.key:
            monkeypatch.setenv("OPENAI_API_KEY", server.key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server
    forget_all()
