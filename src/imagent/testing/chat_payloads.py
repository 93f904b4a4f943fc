"""How the fake OpenAI server reads a chat request and writes its answer, like a model would:
the text and decoded images it is shown, a schema written into the prompt, what OpenAI's
strict mode rejects, and token counts of about four characters each."""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image


@dataclass
class ChatRequest:
    """What the fake model sees of one request."""

    model: str
    messages: list[dict[str, Any]]
    schema: dict[str, Any] | None  # the schema it was asked to follow, if it can see one
    images: list[Image.Image] = field(default_factory=list)  # decoded data-URL images
    image_urls: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(texts(self.messages))


def texts(messages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out += [part.get("text", "") for part in content if part.get("type") == "text"]
    return out


def chat_request(body: dict[str, Any], schema: dict[str, Any] | None) -> ChatRequest:
    request = ChatRequest(model=body["model"], messages=body["messages"], schema=schema)
    for message in body["messages"]:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if part.get("type") != "image_url":
                continue
            url = part["image_url"]["url"]
            request.image_urls.append(url)
            if url.startswith("data:"):
                data = base64.b64decode(url.split(",", 1)[1])
                request.images.append(Image.open(io.BytesIO(data)).convert("RGB"))
    return request


def schema_in_text(text: str) -> dict[str, Any] | None:
    """The last JSON schema written into the prompt, as a model would read it."""
    decoder = json.JSONDecoder()
    found = None
    start = text.find("{")
    while start >= 0:
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict) and ("properties" in value or value.get("type") == "object"):
            found = value
        start = text.find("{", end)
    return found


def strict_problem(schema: Any, where: tuple[str, ...] = ()) -> str | None:
    """What OpenAI's strict mode would reject in `schema`, or None."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" or "properties" in schema:
            if schema.get("additionalProperties") is not False:
                return f"In context={where}, 'additionalProperties' is required to be supplied and to be false."
            missing = set(schema.get("properties", {})) - set(schema.get("required", []))
            if missing:
                return f"In context={where}, 'required' is required to be supplied and to be an array including every key in properties. Missing '{sorted(missing)[0]}'."
        for key, value in schema.items():
            if (problem := strict_problem(value, (*where, key))) is not None:
                return problem
    elif isinstance(schema, list):
        for item in schema:
            if (problem := strict_problem(item, where)) is not None:
                return problem
    return None


def render(answer: str | dict[str, Any], enforced: bool) -> str:
    """The message content: compact JSON when the format is enforced, the way a chat model
    writes it (in a fenced block) when it only read the schema in the prompt."""
    if isinstance(answer, str):
        return answer
    text = json.dumps(answer, ensure_ascii=False)
    return text if enforced else f"Here is the JSON you asked for:\n```json\n{text}\n```"


def tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4)) if text else 0
