"""Every LLM passes the same suite: text answers, schema-valid JSON, honest token counts."""

import json

import pytest

from imagent import registry
from imagent.backends.llm.base import LLM
from imagent.settings import Settings

LLMS = ["fake", pytest.param("local/qwen2.5-coder-1.5b", marks=pytest.mark.slow)]
SCHEMA = {
    "type": "object",
    "properties": {"colour": {"type": "string", "maxLength": 20}, "count": {"type": "integer"}},
    "required": ["colour", "count"],
}


@pytest.fixture(params=LLMS)
def llm(request: pytest.FixtureRequest, settings: Settings) -> LLM:
    if str(request.param).startswith("local"):
        pytest.importorskip("llama_cpp", reason="needs the [local] extra")
    return registry.resolve("llm", request.param, settings)


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
