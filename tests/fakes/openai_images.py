"""A fake of the OpenAI Images API, as documented (shared API notes, section 2).

- `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart/form-data:
  `image` or `image[]` file parts, optional `mask`, the other fields as text parts).
- GPT image models always answer base64 and reject `response_format` (400
  `unknown_parameter`); DALL·E answers base64 only when asked and dall-e-3 adds
  `revised_prompt`. Responses carry `usage` in tokens for GPT models and `x-request-id`.
- Errors are `{"error": {"message", "type", "param", "code"}}`: 401 `invalid_api_key`,
  400 `invalid_value` / `unknown_parameter` / `moderation_blocked`, 429
  `rate_limit_exceeded` with `retry-after-ms` and `x-ratelimit-*` headers.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import mean_colour, pause, png

GPT_SIZES = {"1024x1024", "1536x1024", "1024x1536", "auto"}
DALLE3_SIZES = {"1024x1024", "1792x1024", "1024x1792"}
DALLE2_SIZES = {"256x256", "512x512", "1024x1024"}
OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 1056}


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class FakeOpenAIImages:
    key: str = "sk-openai-test-key-0123456789abcdef"
    throttle: int = 0
    delay_s: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)  # each request's fields
    files: list[list[Part]] = field(default_factory=list)  # each edit's file parts

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/images/generations", self.generations, methods=["POST"]),
                Route("/v1/images/edits", self.edits, methods=["POST"]),
            ]
        )

    async def generations(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        if not request.headers.get("content-type", "").startswith("application/json"):
            return error(400, "invalid_request_error", "Expected JSON", None, None)
        body = await request.json()
        self.calls.append(body)
        await pause(self.delay_s)
        return self._answer(body, tint=None)

    async def edits(self, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        kind = request.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            return error(400, "invalid_request_error", "Expected multipart/form-data", None, None)
        parts = parse_multipart(kind, await request.body())
        fields: dict[str, Any] = {p.name: p.data.decode() for p in parts if p.filename is None}
        images = [p for p in parts if p.name in ("image", "image[]") and p.filename]
        masks = [p for p in parts if p.name == "mask" and p.filename]
        self.calls.append(fields)
        self.files.append(images + masks)
        if not images:
            return error(
                400,
                "invalid_request_error",
                "Missing required parameter: 'image'.",
                "image",
                "missing_required_parameter",
            )
        if fields.get("model", "").startswith("dall-e-2") and (
            len(images) != 1 or images[0].content_type != "image/png"
        ):
            return error(
                400,
                "invalid_request_error",
                "dall-e-2 takes one square PNG image.",
                "image",
                "invalid_value",
            )
        if fields.get("model", "").startswith("dall-e-3"):
            return error(
                400,
                "invalid_request_error",
                "dall-e-3 does not support edits.",
                "model",
                "invalid_value",
            )
        if masks and masks[0].content_type != "image/png":
            return error(
                400, "invalid_request_error", "The mask must be a PNG.", "mask", "invalid_value"
            )
        if "n" in fields:
            fields["n"] = int(fields["n"])
        return self._answer(fields, tint=mean_colour(images[0].data), images_in=len(images))

    def _gate(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            shown = request.headers.get("authorization", "")[7:]
            return error(
                401,
                "invalid_request_error",
                f"Incorrect API key provided: {shown[:6]}****{shown[-4:]}. You can find your API key at https://platform.openai.com/account/api-keys.",
                None,
                "invalid_api_key",
            )
        if self.throttle > 0:
            self.throttle -= 1
            return error(
                429,
                "requests",
                "Rate limit reached for gpt-image-1 on images per minute (IPM): Limit 5, Used 5.",
                None,
                "rate_limit_exceeded",
                headers={"retry-after-ms": "20", "x-ratelimit-reset-requests": "12s"},
            )
        return None

    def _answer(
        self, body: dict[str, Any], tint: tuple[int, int, int] | None, images_in: int = 0
    ) -> JSONResponse:
        model, prompt = body.get("model", "dall-e-2"), body.get("prompt", "")
        gpt = model.startswith("gpt-image")
        if not prompt:
            return error(
                400,
                "invalid_request_error",
                "Missing required parameter: 'prompt'.",
                "prompt",
                "missing_required_parameter",
            )
        if gpt and "response_format" in body:
            return error(
                400,
                "invalid_request_error",
                "Unknown parameter: 'response_format'.",
                "response_format",
                "unknown_parameter",
            )
        size = body.get("size", "1024x1024")
        allowed = (
            DALLE3_SIZES
            if model.startswith("dall-e-3")
            else DALLE2_SIZES
            if model.startswith("dall-e-2")
            else GPT_SIZES
        )
        if not model.startswith("gpt-image-2") and size not in allowed:
            return error(
                400,
                "invalid_request_error",
                f"Invalid value: '{size}'. Supported values are: {sorted(allowed)}.",
                "size",
                "invalid_value",
            )
        n = body.get("n", 1)
        if model.startswith("dall-e-3") and n != 1:
            return error(
                400,
                "invalid_request_error",
                "You must provide n=1 for this model.",
                "n",
                "invalid_value",
            )
        if "FORBIDDEN" in prompt:
            return error(
                400,
                "image_generation_user_error",
                "Your request was rejected as a result of our safety system.",
                None,
                "moderation_blocked",
            )
        if not gpt and body.get("response_format") != "b64_json":
            return error(
                400,
                "invalid_request_error",
                "This fake serves b64_json only.",
                "response_format",
                "invalid_value",
            )
        width, height = (int(v) for v in (size if size != "auto" else "1024x1024").split("x"))
        data = []
        for k in range(n):
            item: dict[str, Any] = {
                "b64_json": base64.b64encode(
                    png(width, height, f"{model}|{prompt}|{k}|{time.time_ns()}", tint)
                ).decode()
            }
            if model.startswith("dall-e-3"):
                item["revised_prompt"] = f"{prompt}, in a detailed illustrative style"
            data.append(item)
        answer: dict[str, Any] = {"created": int(time.time()), "data": data}
        if gpt:
            quality = body.get("quality", "auto")
            answer.update(background="opaque", output_format="png", quality=quality, size=size)
            text_tokens = max(1, len(prompt) // 4)
            answer["usage"] = {
                "input_tokens": text_tokens + 194 * images_in,
                "input_tokens_details": {
                    "text_tokens": text_tokens,
                    "image_tokens": 194 * images_in,
                },
                "output_tokens": OUTPUT_TOKENS.get(quality, 1056) * n,
                "total_tokens": text_tokens
                + 194 * images_in
                + OUTPUT_TOKENS.get(quality, 1056) * n,
            }
        return JSONResponse(answer, headers={"x-request-id": f"req_{uuid.uuid4().hex}"})


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """multipart/form-data parts, read with the standard library's MIME parser."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    parts = []
    for part in message.iter_parts():
        disposition = part.get("content-disposition", "")
        params = dict(part["content-disposition"].params) if disposition else {}
        payload = part.get_payload(decode=True) or b""
        parts.append(
            Part(params.get("name", ""), params.get("filename"), part.get_content_type(), payload)
        )
    return parts


def error(
    status: int,
    kind: str,
    message: str,
    param: str | None,
    code: str | None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}},
        status_code=status,
        headers={"x-request-id": f"req_{uuid.uuid4().hex}", **(headers or {})},
    )
