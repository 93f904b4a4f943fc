"""DashScope compatible mode, live: `DASHSCOPE_API_KEY=... pytest -m live
tests/live/test_dashscope_live.py` (set DASHSCOPE_HTTP_BASE_URL for the key's region)."""

from __future__ import annotations

import os

import pytest

from imagent import registry
from imagent.settings import Settings

from .hosted import check_llm_and_judge

pytestmark = [
    pytest.mark.live,
    pytest.mark.enable_socket,
    pytest.mark.skipif(not os.environ.get("DASHSCOPE_API_KEY"), reason="needs DASHSCOPE_API_KEY"),
]


async def test_qwen_answers_a_schema_and_qwen_vl_judges_an_image(settings: Settings) -> None:
    llm = registry.resolve("llm", "dashscope/qwen-plus", settings)
    await check_llm_and_judge(llm, registry.resolve("llm", "dashscope/qwen-vl-max", settings))
