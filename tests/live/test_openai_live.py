"""OpenAI, live: `OPENAI_API_KEY=... pytest -m live tests/live/test_openai_live.py`."""

from __future__ import annotations

import os

import pytest

from imagent import registry
from imagent.settings import Settings

from .hosted import check_llm_and_judge

pytestmark = [
    pytest.mark.live,
    pytest.mark.enable_socket,
    pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY"),
]


async def test_openai_answers_a_schema_and_judges_an_image(settings: Settings) -> None:
    model = os.environ.get("IMAGENT_LIVE_OPENAI_MODEL", "gpt-4o-mini")
    llm = registry.resolve("llm", f"openai/{model}", settings)
    await check_llm_and_judge(llm, registry.resolve("llm", f"openai/{model}", settings))
