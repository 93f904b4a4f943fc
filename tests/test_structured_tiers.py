"""Structured output in tiers against servers that differ: JSON schema (strict) → JSON mode →
text, chosen per server + model and remembered, through the real openai SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from imagent.backends.llm.openai import OpenAILLM
from imagent.backends.llm.server_quirks import forget_all
from imagent.backends.llm.structured_output import (
    conforms,
    extract_json,
    strict_schema,
)
from imagent.settings import ProviderSettings, Settings
from imagent.testing import FakeOpenAIServer

from .fake_openai import serving


class Item(BaseModel):
    name: str = Field(max_length=40)
    count: int = 1


class Answer(BaseModel):
    colour: str
    items: list[Item] = Field(default_factory=list)
    mood: str = "calm"


SCHEMA = Answer.model_json_schema()
ASK = [{"role": "system", "content": "You describe pictures."}, {"role": "user", "content": "?"}]


def responder(request):  # type: ignore[no-untyped-def]
    """A model that fills the schema it can see, and chats when it sees none."""
    if request.schema is None:
        return "Sure! It is a red picture with two apples."
    return {"colour": "red", "items": [{"name": "apple", "count": 2}], "mood": "calm"}


@pytest.fixture
def server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeOpenAIServer]:
    with serving(monkeypatch, quirks=request.param, responder=responder) as server:
        yield server


def formats(server: FakeOpenAIServer) -> list[str]:
    return [
        (r.body or {}).get("response_format", {}).get("type", "text") for r in server.chat_requests
    ]


@pytest.mark.parametrize(
    "server,tried,settled",
    [
        ("openai", ["json_schema"], "json_schema"),
        ("dashscope", ["json_schema", "json_object"], "json_object"),  # 400 for json_schema
        ("json-object-only", ["json_schema", "json_object"], "json_object"),
        ("ignores-format", ["json_schema", "json_object"], "json_object"),  # prose, then hint
        ("no-response-format", ["json_schema", "json_object", "text"], "text"),
    ],
    indirect=["server"],
)
async def test_every_server_gets_schema_valid_json_and_its_tier_is_remembered(
    server: FakeOpenAIServer, tried: list[str], settled: str, settings: Settings
) -> None:
    llm = OpenAILLM("some-model", settings)
    first = await llm.complete(ASK, SCHEMA)
    assert Answer.model_validate_json(first.text).items[0].count == 2
    assert formats(server) == tried
    # Tokens of the answers thrown away are paid for too, so they are counted.
    assert first.input_tokens >= 8 * len(tried)
    await llm.complete(ASK, SCHEMA)
    assert formats(server)[len(tried) :] == [settled]  # straight to the tier that works
    forget_all()  # a new process: the lesson comes back from the data folder
    fresh = OpenAILLM("some-model", settings)
    await fresh.complete(ASK, SCHEMA)
    assert formats(server)[-1] == settled
    await llm.aclose()
    await fresh.aclose()


@pytest.mark.parametrize("server", ["openai"], indirect=True)
async def test_pydantic_schemas_pass_openais_strict_validation(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    llm = OpenAILLM("gpt-4o-mini", settings)
    await llm.complete(ASK, SCHEMA)
    sent = (server.chat_requests[0].body or {})["response_format"]["json_schema"]
    assert sent["strict"] is True and sent["name"] == "Answer"
    assert sent["schema"]["additionalProperties"] is False
    assert sent["schema"]["required"] == ["colour", "items", "mood"]
    await llm.aclose()


@pytest.mark.parametrize("server", ["openai"], indirect=True)
async def test_a_free_form_map_is_asked_without_strict(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    class Scores(BaseModel):
        scores: dict[str, int]

    llm = OpenAILLM("gpt-4o-mini", settings)
    await llm.complete(ASK, Scores.model_json_schema())
    assert (server.chat_requests[0].body or {})["response_format"]["json_schema"]["strict"] is False
    await llm.aclose()


@pytest.mark.parametrize("server", ["openai"], indirect=True)
async def test_a_truncated_answer_is_returned_for_the_caller_to_re_ask_not_a_tier_down(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    llm = OpenAILLM("gpt-4o-mini", settings)
    completion = await llm.complete(ASK, SCHEMA, max_tokens=3)
    assert formats(server) == ["json_schema"]  # finish_reason "length" is not "ignored"
    assert not extract_json(completion.text)[0] or not conforms(
        extract_json(completion.text)[1], SCHEMA
    )
    await llm.aclose()


@pytest.mark.parametrize("server", ["no-response-format"], indirect=True)
async def test_a_tier_forced_in_config_is_the_only_one_tried(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    settings.providers["openai"] = ProviderSettings(options={"structured_output": "text"})
    llm = OpenAILLM("some-model", settings)
    completion = await llm.complete(ASK, SCHEMA)
    assert formats(server) == ["text"] and json.loads(completion.text)["colour"] == "red"
    await llm.aclose()


def test_strict_form_closes_objects_requires_every_field_and_drops_unsupported_keywords() -> None:
    strict = strict_schema(SCHEMA)
    assert strict is not None
    item = strict["$defs"]["Item"]
    assert item["required"] == ["name", "count"] and item["additionalProperties"] is False
    assert "maxLength" not in item["properties"]["name"] and "default" not in json.dumps(strict)
    assert strict_schema({"type": "object", "additionalProperties": {"type": "integer"}}) is None
    described = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A", "description": "d"}}}
    assert strict_schema(described)["properties"]["a"] == {"$ref": "#/$defs/A"}  # type: ignore[index]


@pytest.mark.parametrize(
    "text,found",
    [
        ('{"colour": "red"}', True),
        ('Here you go:\n```json\n{"colour": "red"}\n```', True),
        ('The answer is {"colour": "red",} as asked.', True),  # repaired
        ("Sure! It is red.", False),
    ],
)
def test_json_is_read_out_of_how_models_actually_write_it(text: str, found: bool) -> None:
    ok, value = extract_json(text)
    assert ok is found and (not found or value == {"colour": "red"})


def test_conforms_tells_an_answer_from_a_near_miss() -> None:
    good = {"colour": "red", "items": [{"name": "a", "count": 1}], "mood": "x"}
    assert conforms(good, SCHEMA)
    assert not conforms({"items": []}, SCHEMA)  # required colour missing
    assert not conforms({**good, "items": [{"name": "a", "count": "two"}]}, SCHEMA)
    assert not conforms({**good, "items": [{"name": "a", "count": True}]}, SCHEMA)
