"""The LLM backend kind: one async `complete` call, optionally constrained by a JSON schema."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal, NotRequired, TypedDict

from imagent.backends.base import Backend
from imagent.backends.pricing import token_cost_usd
from imagent.core.types import Record
from imagent.settings import Price

Tier = Literal["small", "capable"]


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    url: str  # https://... or data:image/png;base64,...
    detail: NotRequired[Literal["auto", "low", "high"]]


class ImagePart(TypedDict):
    type: Literal["image_url"]
    image_url: ImageURL


Content = str | list[TextPart | ImagePart]


class Message(TypedDict):
    """A chat message in the OpenAI shape: text, or content parts (text and images)."""

    role: Literal["system", "user", "assistant"]
    content: Content


def text_of(content: Content) -> str:
    """The text of a message's content, parts joined by newlines (images left out)."""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part["type"] == "text")


class Completion(Record):
    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0


class LLM(Backend, ABC):
    """A chat model. `schema` asks for JSON matching a JSON schema."""

    kind: ClassVar[str] = "llm"
    supports_json_schema: ClassVar[bool] = False  # schema-constrained decoding
    supports_images: ClassVar[bool] = False  # accepts image content parts (a vision model)
    # "capable" models write the whole plan in one call; "small" ones get a short schema and
    # rules help them. Settings may override it per run (`planner_tier`).
    tier: Tier = "small"
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

    def price(self) -> Price | None:
        """What this model costs per million tokens; None when its price is unknown (its
        calls then count as unpriced, not as free)."""
        return Price(
            input_per_mtok=self.usd_per_million_input, output_per_mtok=self.usd_per_million_output
        )

    def cost_usd(self, completion: Completion) -> float:
        """USD for one call; 0 when the price is unknown."""
        price = self.price()
        if price is None:
            return 0.0
        return token_cost_usd(price, completion.input_tokens, completion.output_tokens)
