"""A deterministic LLM for tests: scripted answers, a function, or schema-valid defaults.

`fake/slow-<seconds>` (e.g. `fake/slow-2.5`; `fake/slow` is 30 s) answers after blocking a
worker thread that long, as an embedded model does: for testing interruptions and timeouts.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

from imagent.backends.llm.base import LLM, Completion, Message, Tier, text_of
from imagent.core.errors import BackendError
from imagent.settings import Settings

Answer = str | dict[str, Any]
_SLOW = re.compile(r"slow(?:-(\d+(?:\.\d+)?))?")
AnswerFunction = Callable[[list[Message], dict[str, Any] | None], Answer]


def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """The smallest value valid for a JSON schema (required fields only)."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return minimal_instance(root.get("$defs", {})[name], root)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return minimal_instance(schema["anyOf"][0], root)
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props[k], root) for k in schema.get("required", [])}
    return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind)


class FakeLLM(LLM):
    """`fake/...`: answers from `responses` in order, else from `function`, else defaults.

    Every call is kept in `calls` so tests can assert what the agent asked; `delay_s` makes
    each call block a worker thread that long first (`fake/slow-<seconds>`).
    """

    provider = "fake"
    supports_json_schema = True

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        responses: list[Answer] | None = None,
        function: AnswerFunction | None = None,
        tier: Tier = "small",
        delay_s: float | None = None,
    ) -> None:
        super().__init__(model, settings)
        self.tier = tier
        slow = _SLOW.fullmatch(model)
        self.delay_s = delay_s if delay_s is not None else float(slow[1] or 30) if slow else 0.0
        self.responses = list(responses or [])
        self.function = function
        self.calls: list[tuple[list[Message], dict[str, Any] | None]] = []

    def _answer(self, messages: list[Message], schema: dict[str, Any] | None) -> Answer:
        if self.function is not None:
            return self.function(messages, schema)
        if self.responses:
            return self.responses.pop(0)
        if schema is not None:
            return minimal_instance(schema)  # type: ignore[no-any-return]
        return "ok"

    async def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        self.calls.append((messages, schema))
        if self.delay_s:  # a worker thread busy the whole time, like llama.cpp's
            await asyncio.to_thread(time.sleep, self.delay_s)
        answer = self._answer(messages, schema)
        if isinstance(answer, Exception):
            raise BackendError(self.id, str(answer))
        text = answer if isinstance(answer, str) else json.dumps(answer)
        words = sum(len(text_of(m["content"]).split()) for m in messages)
        return Completion(text=text, input_tokens=words, output_tokens=len(text.split()))
