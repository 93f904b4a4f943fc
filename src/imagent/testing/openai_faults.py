"""What a fake OpenAI-compatible server can be made to do wrong, in the real APIs' shapes.

Error bodies are OpenAI's `{"error": {"message", "type", "param", "code"}}` (DashScope's
compatible mode adds top-level `id` and `request_id`; LM Studio sends a bare string);
status codes, `retry-after` / `retry-after-ms` and `x-ratelimit-*` headers as documented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Behaviour = Literal["enforce", "reject", "ignore"]
ErrorStyle = Literal["openai", "dashscope", "plain"]


@dataclass(frozen=True)
class Quirks:
    """How one kind of server treats `response_format` and sampling parameters."""

    json_schema: Behaviour = "enforce"
    json_object: Behaviour = "enforce"
    strict_validation: bool = False  # OpenAI: a strict schema must close every object
    needs_json_word: bool = False  # json_object needs "json" somewhere in the messages
    error_style: ErrorStyle = "openai"
    completion_tokens_only: bool = False  # reasoning models: max_completion_tokens only
    default_temperature_only: bool = False


QUIRKS: dict[str, Quirks] = {
    # api.openai.com: all tiers, strict schemas validated.
    "openai": Quirks(strict_validation=True, needs_json_word=True),
    # OpenAI's reasoning models (o-series, gpt-5): no max_tokens, no temperature.
    "openai-reasoning": Quirks(
        strict_validation=True,
        needs_json_word=True,
        completion_tokens_only=True,
        default_temperature_only=True,
    ),
    # DashScope compatible mode with a model that has no json_schema: 400 for it, json_object
    # only with the word "json" in the messages, errors with `request_id`.
    "dashscope": Quirks(json_schema="reject", needs_json_word=True, error_style="dashscope"),
    # Servers that take any response_format and ignore it (an older vLLM or proxy).
    "ignores-format": Quirks(json_schema="ignore", json_object="ignore"),
    # Servers with JSON mode but no schemas (an older Ollama or llama.cpp build).
    "json-object-only": Quirks(json_schema="reject"),
    # Servers that reject every response_format (LM Studio-like bare string errors).
    "no-response-format": Quirks(json_schema="reject", json_object="reject", error_style="plain"),
}


@dataclass
class Fault:
    """One scripted answer that is not a normal completion."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error_body(
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """OpenAI's error body."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def rate_limited(retry_after_s: float = 0.2, *, in_ms: bool = False) -> Fault:
    """429 as OpenAI sends it, with `retry-after` (seconds) or `retry-after-ms`."""
    wait = f"{int(retry_after_s * 1000)}" if in_ms else f"{retry_after_s:g}"
    return Fault(
        429,
        error_body(
            "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min "
            f"(RPM): Limit 3, Used 3, Requested 1. Please try again in {retry_after_s:g}s.",
            type="requests",
            code="rate_limit_exceeded",
        ),
        {
            "retry-after-ms" if in_ms else "retry-after": wait,
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after_s:g}s",
        },
    )


def out_of_quota() -> Fault:
    """429 that waiting cannot fix: the account has no credit."""
    return Fault(
        429,
        error_body(
            "You exceeded your current quota, please check your plan and billing details.",
            type="insufficient_quota",
            code="insufficient_quota",
        ),
    )


def server_error(status: int = 500) -> Fault:
    messages = {
        500: "The server had an error while processing your request. Sorry about that!",
        502: "Bad gateway.",
        503: "The engine is currently overloaded, please try again later.",
    }
    message = messages.get(status, "Server error.")
    return Fault(status, error_body(message, type="server_error"))


def moderation_refusal() -> Fault:
    """DashScope's content-moderation refusal in compatible mode (HTTP 400)."""
    return Fault(
        400,
        {
            **error_body(
                "Input data may contain inappropriate content. For details, see: "
                "https://help.aliyun.com/zh/model-studio/error-code#inappropriate-content",
                type="data_inspection_failed",
                code="data_inspection_failed",
            ),
            "id": "chatcmpl-fake-moderation",
            "request_id": "fake-moderation-request",
        },
    )


def content_filter() -> Fault:
    """A 200 whose answer was withheld: `finish_reason: content_filter` (Azure, OpenAI)."""
    return Fault(200, {"finish_reason": "content_filter", "content": None})


def model_refusal(text: str = "I'm sorry, I can't help with that.") -> Fault:
    """A 200 with `message.refusal` set, as structured outputs report a safety refusal."""
    return Fault(200, {"finish_reason": "stop", "content": None, "refusal": text})
