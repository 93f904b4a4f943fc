"""Every LLM passes the same suite: text answers, schema-valid JSON, honest token counts."""

import json
from collections.abc import AsyncIterator

import pytest

from imagent import registry
from imagent.backends.llm.base import LLM
from imagent.settings import ProviderSettings, Settings

from ..fake_openai import serving

# Hosted providers run against the local fake OpenAI-compatible server, each with the
# quirks of the servers it stands for.
HOSTED = {
    "openai/gpt-4o-mini": "openai",
    "dashscope/qwen-plus": "dashscope",
    "ollama/qwen2.5:7b": "json-object-only",  # served without any key
    "vllm/qwen2.5-7b": "ignores-format",
    "llamacpp/default": "no-response-format",
    "openrouter/qwen/qwen-2.5-72b-instruct": "openai",
}
LLMS = ["fake", *HOSTED, pytest.param("local/qwen2.5-coder-1.5b", marks=pytest.mark.slow)]
SCHEMA = {
    "type": "object",
    "properties": {"colour": {"type": "string", "maxLength": 20}, "count": {"type": "integer"}},
    "required": ["colour", "count"],
}


@pytest.fixture(params=LLMS)
async def llm(
    request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LLM]:
    backend_id = str(request.param)
    if backend_id.startswith("local"):
        pytest.importorskip("llama_cpp", reason="needs the [local] extra")
    if backend_id not in HOSTED:
        yield registry.resolve("llm", backend_id, settings)
        return
    key = None if backend_id.startswith("ollama") else "sk-contract-key-0123456789"
    with serving(monkeypatch, quirks=HOSTED[backend_id], key=key) as server:
        provider = backend_id.split("/", 1)[0]
        settings.providers[provider] = ProviderSettings(base_url=server.base_url)
        monkeypatch.setenv("DASHSCOPE_COMPATIBLE_BASE_URL", server.base_url)
        for env in ("DASHSCOPE_API_KEY", "OPENROUTER_API_KEY", "VLLM_API_KEY", "LLAMA_API_KEY"):
            monkeypatch.setenv(env, server.key or "")
        llm = registry.resolve("llm", backend_id, settings)
        yield llm
        await llm.aclose()


async def test_schema_answers_are_valid_json(llm: LLM) -> None:
    completion = await llm.complete(
        [{"role": "user", "content": "Give a colour and a count of 3 as JSON."}],
        SCHEMA,
        max_tokens=60,
    )
    data = json.loads(completion.text)
    assert isinstance(data["colour"], str) and isinstance(data["count"], int)
    assert completion.input_tokens > 0 and completion.output_tokens > 0


async def test_plain_answers_are_text(llm: LLM) -> None:
    completion = await llm.complete([{"role": "user", "content": "Say ok."}], max_tokens=8)
    assert isinstance(completion.text, str) and completion.text.strip()
    assert llm.cost_usd(completion) >= 0
