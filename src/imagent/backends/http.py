"""Provider plumbing shared by every hosted backend.

One pooled async HTTP client per backend instance (created on first use, closed with the
backend), the key from the provider's own environment variable, timeouts, retries by the
shared policy (429, 5xx and lost connections, honouring `Retry-After`), and error bodies of
the providers we speak mapped to typed errors that carry the provider's message, code and
request id, never the key.

A model family's message shapes live in its backend module; this module knows only HTTP.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

import httpx2

from imagent.backends.retry import RetryPolicy, call_with_retries, time_left
from imagent.core.errors import (
    AuthError,
    BackendError,
    MissingKeyError,
    ModerationError,
    OutcomeUnknownError,
    RateLimitedError,
)
from imagent.core.types import utcnow

# Error codes providers use for a content-moderation refusal.
MODERATION_CODES = frozenset(
    {
        "DataInspectionFailed",  # DashScope
        "data_inspection_failed",
        "content_policy_violation",  # OpenAI
        "moderation_blocked",
        "content_filter",
        "image_generation_user_error",
    }
)
# A 429 that waiting cannot fix: the account is out of credit, not over its rate.
QUOTA_CODES = frozenset({"insufficient_quota", "Arrearage", "billing_hard_limit_reached"})
_REQUEST_ID_HEADERS = ("x-request-id", "x-dashscope-request-id", "request-id", "x-acs-request-id")


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """The process's TLS context, built as httpx2 builds its default (system trust store,
    `SSL_CERT_FILE` honoured). Building one takes ~80 ms, so every backend's client shares it."""
    return httpx2.create_ssl_context()


def api_key(env_var: str, backend_id: str, *, required: bool = True) -> str | None:
    """The key in `env_var`; a clear `MissingKeyError` naming the variable when unset."""
    value = os.environ.get(env_var, "").strip()
    if not value and required:
        raise MissingKeyError(env_var, backend_id)
    return value or None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds the provider asked us to wait: `retry-after-ms`, or `Retry-After` as seconds or
    an HTTP date."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def error_fields(body: Any) -> tuple[str, str | None, str | None]:
    """(message, code, request id) from the error bodies of the APIs we speak.

    OpenAI: `{"error": {"message", "code", "type"}}`; DashScope: `{"code", "message",
    "request_id"}`; ComfyUI: `{"error": {"type", "message"}}`; A1111: `{"error", "detail"}`;
    FastAPI: `{"detail": ...}`.
    """
    if not isinstance(body, dict):
        return (str(body)[:300] if body else "", None, None)
    request_id = body.get("request_id")
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("type")
        message = error.get("message") or ""
        return str(message), str(code) if code else None, request_id
    code = body.get("code")
    message = body.get("message") or body.get("msg") or body.get("detail") or error or ""
    if not isinstance(message, str):
        message = str(message)[:300]
    return message, str(code) if code else None, request_id


class HTTPProvider:
    """The HTTP side of one hosted backend: base URL, auth headers, pooled client, retries."""

    def __init__(
        self,
        backend_id: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_connections: int = 8,
        policy: RetryPolicy | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        classify: Callable[[httpx2.Response, BackendError], BackendError] | None = None,
        key_env: str | None = None,
    ) -> None:
        self.backend_id = backend_id
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = httpx2.Timeout(timeout_s, connect=connect_timeout_s)
        self.limits = httpx2.Limits(max_connections=max_connections)
        self.policy = policy or RetryPolicy()
        self.transport = transport
        self.classify = classify
        self.key_env = key_env
        self._client: httpx2.AsyncClient | None = None

    @property
    def client(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(
                base_url=self.base_url,
                headers=self.headers,
                timeout=self.timeout,
                limits=self.limits,
                transport=self.transport,
                follow_redirects=False,
                verify=shared_ssl_context(),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        paid: bool = False,
        retry: bool = True,
        **kwargs: Any,
    ) -> httpx2.Response:
        """Send a request, retried by the policy; a non-2xx answer raises a typed error.

        `paid=True` marks a call that costs money when it succeeds (a render): a timeout after
        it was sent raises `OutcomeUnknownError` instead of being retried, so nothing is
        paid twice.
        """
        policy = self.policy if retry else RetryPolicy(attempts=1)
        return await call_with_retries(lambda: self._once(method, url, paid, kwargs), policy)

    async def _once(
        self, method: str, url: str, paid: bool, kwargs: dict[str, Any]
    ) -> httpx2.Response:
        left = time_left()
        if left is not None:
            kwargs = {**kwargs, "timeout": httpx2.Timeout(max(0.1, left), connect=min(10.0, left))}
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx2.ConnectError as exc:  # never reached the provider: safe to retry
            raise BackendError(self.backend_id, f"cannot connect: {exc}", retryable=True) from exc
        except httpx2.TimeoutException as exc:
            if paid and not isinstance(exc, httpx2.ConnectTimeout | httpx2.PoolTimeout):
                raise OutcomeUnknownError(
                    self.backend_id,
                    f"no answer to a paid {method} {url} in time; it may still complete, "
                    "so it is not sent again",
                ) from exc
            raise BackendError(self.backend_id, f"timed out: {exc}", retryable=True) from exc
        except httpx2.TransportError as exc:
            raise BackendError(
                self.backend_id, f"connection failed: {exc}", retryable=not paid
            ) from exc
        if response.is_success:
            return response
        error = self.error(response)
        raise self.classify(response, error) if self.classify else error

    def error(self, response: httpx2.Response) -> BackendError:
        """A typed error for a non-2xx response."""
        return classify_response(self.backend_id, response, self.key_env)


def classify_response(
    backend_id: str, response: httpx2.Response, key_env: str | None = None
) -> BackendError:
    """The typed error for a provider's non-2xx `response`, whoever sent the request (our
    client or an SDK's): moderation refusals, rejected keys, rate limits (with the wait the
    provider asked for), and everything else, retryable when waiting may help. `key_env`
    names the variable the key came from, so a rejected key says where to fix it."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    message, code, body_request_id = error_fields(body)
    request_id = body_request_id or next(
        (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None
    )
    status = response.status_code
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id,
        "retry_after": retry_after_s(response.headers),
    }
    message = message or response.reason_phrase or "request failed"
    if code in MODERATION_CODES:
        return ModerationError(backend_id, f"refused by moderation: {message}", **fields)
    if status in (401, 403):
        where = f"the key in {key_env}" if key_env else "the key"
        return AuthError(backend_id, f"{where} was rejected: {message}", **fields)
    if status == 429 and code not in QUOTA_CODES:
        return RateLimitedError(backend_id, message, retryable=True, **fields)
    retryable = status >= 500 or status == 408
    return BackendError(backend_id, message, retryable=retryable, **fields)
