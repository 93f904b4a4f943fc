"""A local fake of the OpenAI chat-completions API, on a loopback port, for tests.

It checks the bearer key, answers `POST …/chat/completions` and `GET …/models` in the real
shapes (ids, `usage`, `finish_reason`, `x-request-id`), truncates at `max_tokens`, and
honours, rejects or ignores `response_format` according to its `Quirks` profile. Its "model"
is a responder function; a schema it can see (in `response_format`, or written into the
prompt) is passed to it, so a server that ignores the format answers prose unless the prompt
carries the schema. Scripted `Fault`s (429 with Retry-After, 5xx, moderation refusals, …)
are answered first, one per request.

    with FakeOpenAIServer(key="sk-test") as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from imagent.backends.llm.fake import minimal_instance
from imagent.testing.chat_payloads import (
    ChatRequest,
    chat_request,
    render,
    schema_in_text,
    strict_problem,
    texts,
    tokens,
)
from imagent.testing.openai_faults import QUIRKS, Fault, Quirks, error_body

Responder = Callable[[ChatRequest], str | dict[str, Any]]


def default_responder(request: ChatRequest) -> str | dict[str, Any]:
    """The smallest valid answer for a schema, else a short reply."""
    return minimal_instance(request.schema) if request.schema else "ok"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class FakeOpenAIServer:
    """A threaded loopback server; use as a context manager."""

    def __init__(
        self,
        *,
        key: str | None = "sk-test-key-0123456789abcdef",
        quirks: str | Quirks = "openai",
        responder: Responder = default_responder,
        prefix: str = "/v1",
    ) -> None:
        self.key = key
        self.quirks = QUIRKS[quirks] if isinstance(quirks, str) else quirks
        self.responder = responder
        self.prefix = prefix
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def fail_next(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order."""
        with self._lock:
            self.faults.extend(faults)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering ----------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> Fault:
        with self._lock:
            self.requests.append(Recorded(method, path, headers, body))
            if (denied := self._auth(headers)) is not None:
                return denied
            fault = self.faults.pop(0) if self.faults else None
        if path.endswith("/models") and method == "GET":
            return Fault(200, {"object": "list", "data": []})
        if not path.endswith("/chat/completions") or method != "POST":
            return Fault(404, error_body(f"Invalid URL ({method} {path})"))
        if fault is not None and fault.status != 200:
            return fault
        if not isinstance(body, dict) or "model" not in body or "messages" not in body:
            return Fault(400, error_body("you must provide a model parameter", param="model"))
        return self._chat(body, fault)

    def _auth(self, headers: dict[str, str]) -> Fault | None:
        if self.key is None:
            return None
        given = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if given == self.key:
            return None
        if not given:
            message = "You didn't provide an API key. Provide it in an Authorization header."
            return Fault(401, error_body(message))
        masked = f"{given[:3]}{'*' * 8}{given[-4:]}" if len(given) > 8 else "***"
        message = f"Incorrect API key provided: {masked}."
        return Fault(401, error_body(message, code="invalid_api_key"))

    def _chat(self, body: dict[str, Any], fault: Fault | None) -> Fault:
        refused = self._check_params(body)
        if refused is not None:
            return refused
        schema, enforced = self._schema_for(body)
        if isinstance(schema, Fault):
            return schema
        request = chat_request(body, schema)
        if fault is not None:  # a scripted 200: refusal or content filter
            return Fault(200, self._completion(body, request, fault.body))
        answer = self.responder(request)
        content = render(answer, enforced)
        return Fault(200, self._completion(body, request, {"content": content}))

    def _check_params(self, body: dict[str, Any]) -> Fault | None:
        q = self.quirks
        if q.completion_tokens_only and "max_tokens" in body:
            message = (
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
            return self._error(400, message, "unsupported_parameter", "max_tokens")
        if q.default_temperature_only and body.get("temperature", 1) != 1:
            message = (
                f"Unsupported value: 'temperature' does not support {body['temperature']} with "
                "this model. Only the default (1) value is supported."
            )
            return self._error(400, message, "unsupported_value", "temperature")
        return None

    def _schema_for(self, body: dict[str, Any]) -> tuple[Any, bool]:
        """(schema the model sees or a Fault, whether its output is constrained to JSON)."""
        fmt = body.get("response_format") or {}
        kind = fmt.get("type", "text")
        behaviour = {"json_schema": self.quirks.json_schema, "json_object": self.quirks.json_object}
        if kind in behaviour and behaviour[kind] == "reject":
            message = f"Invalid parameter: 'response_format' of type '{kind}' is not supported."
            return self._error(400, message, "invalid_parameter_error", "response_format"), False
        hinted = schema_in_text("\n".join(texts(body["messages"])))
        if kind == "json_schema" and behaviour[kind] == "enforce":
            spec = fmt.get("json_schema", {})
            if spec.get("strict") and self.quirks.strict_validation:
                problem = strict_problem(spec.get("schema", {}))
                if problem:
                    message = f"Invalid schema for response_format '{spec.get('name')}': {problem}"
                    return self._error(
                        400, message, "invalid_json_schema", "response_format"
                    ), False
            return spec.get("schema"), True
        if kind == "json_object" and behaviour[kind] == "enforce":
            text = json.dumps(body["messages"]).lower()
            if self.quirks.needs_json_word and "json" not in text:
                message = (
                    "'messages' must contain the word 'json' in some form, to use "
                    "'response_format' of type 'json_object'."
                )
                return self._error(400, message, "invalid_parameter_error", "messages"), False
            return hinted or {"type": "object"}, True
        return hinted, False

    def _error(self, status: int, message: str, code: str, param: str | None) -> Fault:
        style = self.quirks.error_style
        if style == "plain":
            return Fault(status, {"error": message})
        body = error_body(message, code=code, param=param)
        if style == "dashscope":
            rid = str(uuid.uuid4())
            body = {
                "error": {**body["error"], "message": f"<{status}> InternalError.Algo: {message}"},
                "id": f"chatcmpl-{rid}",
                "request_id": rid,
            }
        return Fault(status, body)

    def _completion(
        self, body: dict[str, Any], request: ChatRequest, answer: dict[str, Any]
    ) -> dict[str, Any]:
        content = answer.get("content")
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        finish = answer.get("finish_reason", "stop")
        if content and limit and tokens(content) > limit:
            content, finish = content[: int(limit) * 4], "length"
        prompt_tokens = tokens(request.text) + 85 * len(request.image_urls) + 7
        completion_tokens = tokens(content or answer.get("refusal") or "")
        message = {"role": "assistant", "content": content, "refusal": answer.get("refusal")}
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": "fp_fake",
        }


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the pooled client expects

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle's algorithm and the
            # client's delayed ACK hold every answer back ~40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server.handle(self.command, self.path, headers, body)
            payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = payload.encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
            pass

    return Handler
