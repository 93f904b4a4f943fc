"""The LLM backend kind: one async `complete` call, optionally constrained by a JSON schema."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal, TypedDict

from imagent.backends.base import Backend
from imagent.core.types import Record


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class Completion(Record):
    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0


class LLM(Backend, ABC):
    """A chat model. `schema` asks for JSON matching a JSON schema."""

    kind: ClassVar[str] = "llm"
    supports_json_schema: ClassVar[bool] = False  # schema-constrained decoding
    usd_per_million_input: ClassVar[float] = 0.0
    usd_per_million_output: ClassVar[float] = 0.0

    @abstractmethod
    async def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        """Answer `messages`; with a schema the answer text is JSON for it."""

    def cost_usd(self, completion: Completion) -> float:
        return (
            completion.input_tokens * self.usd_per_million_input
            + completion.output_tokens * self.usd_per_million_output
        ) / 1_000_000
