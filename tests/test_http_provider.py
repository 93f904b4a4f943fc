"""The shared provider plumbing: retries that honour Retry-After, typed errors, deadlines."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from imagent.backends.http import HTTPProvider, api_key, error_fields, retry_after_s
from imagent.backends.retry import RetryPolicy, call_with_retries, run_deadline
from imagent.core.errors import (
    AuthError,
    BackendError,
    DeadlineExceededError,
    MissingKeyError,
    ModerationError,
    OutcomeUnknownError,
    RateLimitedError,
)

FAST = RetryPolicy(attempts=3, first_wait_s=0.0)


def provider(handler, policy: RetryPolicy = FAST) -> HTTPProvider:  # type: ignore[no-untyped-def]
    return HTTPProvider(
        "test/model",
        "https://api.example.test/v1",
        headers={"Authorization": "Bearer sk-secret-key-0123456789"},
        policy=policy,
        transport=httpx2.MockTransport(handler),
    )


async def test_a_429_with_retry_after_is_waited_out_then_succeeds() -> None:
    calls: list[float] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx2.Response(
                429,
                headers={"retry-after": "0.2"},
                json={"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
            )
        return httpx2.Response(200, json={"ok": True})

    http = provider(handler)
    response = await http.request("POST", "/things", json={})
    await http.aclose()
    assert response.json() == {"ok": True} and len(calls) == 2
    assert calls[1] - calls[0] >= 0.18  # the provider's Retry-After, not the 0 s backoff


async def test_retries_are_spent_then_a_typed_rate_limit_error_names_the_request() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            429, headers={"x-request-id": "req_123"}, json={"code": "Throttling", "message": "slow"}
        )

    http = provider(handler)
    with pytest.raises(RateLimitedError) as caught:
        await http.request("GET", "/x")
    assert caught.value.status == 429 and caught.value.request_id == "req_123"
    assert "Throttling" in str(caught.value) and "sk-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "status,body,error",
    [
        (401, {"code": "InvalidApiKey", "message": "Invalid API-key provided."}, AuthError),
        (
            400,
            {"code": "DataInspectionFailed", "message": "Input data may contain inappropriate."},
            ModerationError,
        ),
        (
            400,
            {"error": {"message": "Your request was rejected", "code": "content_policy_violation"}},
            ModerationError,
        ),
        (
            400,
            {"error": {"message": "Unknown parameter", "code": "unknown_parameter"}},
            BackendError,
        ),
    ],
)
async def test_errors_that_waiting_cannot_fix_are_raised_at_once(
    status: int, body: dict, error: type[BackendError]
) -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        return httpx2.Response(status, json=body)

    with pytest.raises(error) as caught:
        await provider(handler).request("POST", "/x", json={})
    assert len(calls) == 1 and not caught.value.retryable
    assert type(caught.value) is error


async def test_server_errors_and_lost_connections_are_retried() -> None:
    answers = iter(
        [httpx2.ConnectError("refused"), httpx2.Response(503), httpx2.Response(200, json={})]
    )

    def handler(request: httpx2.Request) -> httpx2.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    response = await provider(handler).request("GET", "/x")
    assert response.status_code == 200


async def test_a_paid_call_that_times_out_after_sending_is_never_sent_again() -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        raise httpx2.ReadTimeout("no answer", request=request)

    with pytest.raises(OutcomeUnknownError, match="not sent again"):
        await provider(handler).request("POST", "/render", json={}, paid=True)
    assert len(calls) == 1


async def test_waiting_past_the_runs_deadline_fails_fast() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(429, headers={"retry-after": "30"}, json={})

    started = time.monotonic()
    with run_deadline(2.0), pytest.raises(DeadlineExceededError, match="deadline"):
        await provider(handler).request("GET", "/x")
    assert time.monotonic() - started < 1.0


async def test_backoff_doubles_without_retry_after() -> None:
    waits: list[float] = []

    async def failing() -> None:
        raise BackendError("b", "down", retryable=True)

    policy = RetryPolicy(attempts=4, first_wait_s=0.01)
    with pytest.raises(BackendError):
        await call_with_retries(failing, policy, on_retry=lambda n, e, w: waits.append(w))
    assert waits == [0.01, 0.02, 0.04]


def test_retry_after_reads_seconds_milliseconds_and_http_dates() -> None:
    assert retry_after_s({"retry-after": "3"}) == 3.0
    assert retry_after_s({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_s({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_s({}) is None


def test_error_fields_read_every_providers_error_shape() -> None:
    assert error_fields({"error": {"message": "m", "code": "c"}}) == ("m", "c", None)
    assert error_fields({"code": "InvalidParameter", "message": "m", "request_id": "r"}) == (
        "m",
        "InvalidParameter",
        "r",
    )
    assert error_fields({"error": "RuntimeError", "detail": "Sampler not found"})[0] == (
        "Sampler not found"
    )


def test_a_missing_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMPLE_API_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="EXAMPLE_API_KEY"):
        api_key("EXAMPLE_API_KEY", "example/model")
    monkeypatch.setenv("EXAMPLE_API_KEY", "k-123")
    assert api_key("EXAMPLE_API_KEY", "example/model") == "k-123"


async def test_the_client_is_pooled_and_closed_once() -> None:
    http = provider(lambda request: httpx2.Response(200, json={}))
    await asyncio.gather(*(http.request("GET", "/x") for _ in range(5)))
    client = http.client
    await http.request("GET", "/y")
    assert http.client is client
    await http.aclose()
    assert http._client is None
