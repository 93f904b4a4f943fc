"""Structured output from any LLM: JSON schema, else JSON in text, repaired, re-asked once."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import json_repair
from pydantic import BaseModel, ValidationError

from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM, Message, text_of
from imagent.core.errors import StructuredOutputError

T = TypeVar("T", bound=BaseModel)


def _parse(text: str, model: type[T]) -> T:
    try:
        return model.model_validate_json(text)
    except ValidationError:
        repaired: Any = json_repair.loads(text)
        return model.model_validate(repaired)


def _with_schema_hint(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    hint = f"\nAnswer with one JSON object only, matching this JSON schema:\n{json.dumps(schema)}"
    first = messages[0]
    return [{"role": first["role"], "content": text_of(first["content"]) + hint}, *messages[1:]]


async def complete_structured(
    llm: LLM,
    messages: list[Message],
    model: type[T],
    *,
    tracer: Tracer,
    step: str,
    max_tokens: int = 400,
) -> T:
    """Ask `llm` for an instance of `model`; re-ask once with the validation error."""
    schema = model.model_json_schema()
    if not llm.supports_json_schema:
        messages = _with_schema_hint(messages, schema)
    for attempt in range(2):
        completion = await llm.complete(
            messages, schema if llm.supports_json_schema else None, max_tokens=max_tokens
        )
        tracer.model_call(step, llm, completion)
        try:
            return _parse(completion.text, model)
        except (ValidationError, ValueError) as exc:
            error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            tracer.warning(step, f"invalid JSON from {llm.id} (try {attempt + 1}): {error}")
            messages = [
                *messages,
                {"role": "assistant", "content": completion.text},
                {
                    "role": "user",
                    "content": f"That was not valid: {error}. Answer again with JSON only.",
                },
            ]
    raise StructuredOutputError(llm.id, f"no valid {model.__name__} after a re-ask")
