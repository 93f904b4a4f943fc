"""`openai/<model>` and its OpenAI-compatible siblings through the real SDK against a local
fake: auth, shapes, retries, typed errors, keys, images, prices."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.images_payload import data_url
from imagent.backends.llm.base import Message
from imagent.backends.llm.compatible import DashScopeLLM, dashscope_compatible_url
from imagent.backends.llm.openai import OpenAILLM
from imagent.backends.retry import run_deadline
from imagent.core.errors import (
    AuthError,
    BackendError,
    ConfigError,
    DeadlineExceededError,
    MissingKeyError,
    ModerationError,
    RateLimitedError,
)
from imagent.runs.redact import redact_text
from imagent.settings import Price, ProviderSettings, Settings
from imagent.testing import FakeOpenAIServer
from imagent.testing.openai_faults import (
    content_filter,
    model_refusal,
    moderation_refusal,
    out_of_quota,
    rate_limited,
    server_error,
)

from .fake_openai import KEY, serving

HELLO: list[Message] = [{"role": "user", "content": "Say ok."}]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with serving(monkeypatch) as server:
        yield server


@pytest.fixture
def llm(server: FakeOpenAIServer, settings: Settings) -> Iterator[OpenAILLM]:
    yield OpenAILLM("gpt-4o-mini", settings)


async def test_a_call_sends_the_key_as_a_bearer_token_and_reads_the_answer(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    completion = await llm.complete(HELLO, max_tokens=20, temperature=0.3)
    assert completion.text == "ok" and completion.input_tokens > 0 and completion.latency_s > 0
    sent = server.chat_requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.body == {
        "model": "gpt-4o-mini",
        "messages": HELLO,
        "max_tokens": 20,
        "temperature": 0.3,
    }
    assert llm.base_url == server.base_url  # from OPENAI_BASE_URL
    await llm.aclose()


async def test_a_429_is_waited_out_for_as_long_as_retry_after_says(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(rate_limited(0.3), rate_limited(0.2, in_ms=True))
    started = time.monotonic()
    completion = await llm.complete(HELLO)
    assert completion.text == "ok" and len(server.chat_requests) == 3
    assert time.monotonic() - started >= 0.45  # 0.3 s + 0.2 s, not the zero backoff
    await llm.aclose()


async def test_server_errors_are_retried_then_succeed(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(server_error(500), server_error(503))
    assert (await llm.complete(HELLO)).text == "ok"
    assert len(server.chat_requests) == 3
    await llm.aclose()


async def test_retries_are_spent_then_a_typed_error_carries_the_request_id(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(*[rate_limited(0.01)] * 3)
    with pytest.raises(RateLimitedError) as caught:
        await llm.complete(HELLO)
    assert caught.value.status == 429 and caught.value.request_id.startswith("req_")
    assert caught.value.code == "rate_limit_exceeded" and len(server.chat_requests) == 3
    await llm.aclose()


@pytest.mark.parametrize(
    "fault,message",
    [
        (moderation_refusal(), "refused by moderation: Input data may contain inappropriate"),
        (model_refusal("I can't help with that."), "the model refused: I can't help with that."),
        (content_filter(), "content filter"),
    ],
)
async def test_moderation_refusals_are_their_own_error_and_never_retried(
    llm: OpenAILLM, server: FakeOpenAIServer, fault, message: str
) -> None:  # type: ignore[no-untyped-def]
    server.fail_next(fault)
    with pytest.raises(ModerationError, match=message) as caught:
        await llm.complete(HELLO)
    assert not caught.value.retryable and len(server.chat_requests) == 1
    await llm.aclose()


async def test_a_moderation_refusal_names_dashscopes_request_id(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(moderation_refusal())
    with pytest.raises(ModerationError) as caught:
        await llm.complete(HELLO)
    assert caught.value.request_id == "fake-moderation-request"
    assert "code data_inspection_failed" in str(caught.value)
    await llm.aclose()


async def test_an_account_out_of_credit_is_not_retried_as_a_rate_limit(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(out_of_quota())
    with pytest.raises(BackendError, match="exceeded your current quota") as caught:
        await llm.complete(HELLO)
    assert type(caught.value) is BackendError and len(server.chat_requests) == 1
    await llm.aclose()


async def test_a_rejected_key_names_its_variable_and_never_shows_the_key(
    server: FakeOpenAIServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-secret-key-9876543210zyxw"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    llm = OpenAILLM("gpt-4o-mini", settings)
    with pytest.raises(AuthError, match="the key in OPENAI_API_KEY was rejected") as caught:
        await llm.complete(HELLO)
    assert wrong not in str(caught.value) and wrong not in repr(llm.client)
    assert len(server.chat_requests) == 1
    await llm.aclose()


def test_a_missing_key_names_the_variable_at_openai_but_a_local_server_needs_none(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        OpenAILLM("gpt-4o-mini", settings)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert OpenAILLM("llama3.2", settings).base_url == "http://127.0.0.1:11434/v1"


async def test_a_keyless_local_server_is_served_without_any_real_key(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(monkeypatch, key=None) as server:
        settings.providers["ollama"] = ProviderSettings(base_url=server.base_url)
        llm = registry.resolve("llm", "ollama/qwen2.5:7b", settings)
        assert (await llm.complete(HELLO)).text == "ok"
        assert llm.price() == Price()  # a server you run is free unless you price it
        await llm.aclose()


async def test_an_unreachable_server_is_retried_then_says_which_url(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # discard port: refused
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    llm = OpenAILLM("gpt-4o-mini", settings)
    with pytest.raises(BackendError, match=r"cannot reach http://127\.0\.0\.1:9/v1") as caught:
        await llm.complete(HELLO)
    assert caught.value.retryable
    await llm.aclose()


async def test_a_wait_past_the_runs_deadline_fails_fast(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    server.fail_next(rate_limited(30))
    started = time.monotonic()
    with run_deadline(2.0), pytest.raises(DeadlineExceededError, match="deadline"):
        await llm.complete(HELLO)
    assert time.monotonic() - started < 1.5
    await llm.aclose()


async def test_reasoning_models_get_max_completion_tokens_and_their_own_temperature(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(monkeypatch, quirks="openai-reasoning") as server:
        llm = OpenAILLM("o4-mini", settings)
        assert (await llm.complete(HELLO)).text == "ok"
        await llm.complete(HELLO)  # learned once, then sent right the first time
        last = server.chat_requests[-1].body or {}
        assert "max_tokens" not in last and "temperature" not in last
        assert last["max_completion_tokens"] == 512 and len(server.chat_requests) == 4
        await llm.aclose()


async def test_images_travel_as_content_parts_the_server_can_decode(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    seen: list[tuple[int, int]] = []
    server.responder = lambda request: seen.extend(i.size for i in request.images) or "red"
    big = Image.new("RGB", (3000, 1500), "red")
    message: Message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What colour is it?"},
            {"type": "image_url", "image_url": {"url": data_url(big)}},
        ],
    }
    assert (await llm.complete([message])).text == "red"
    assert seen == [(1024, 512)]  # downscaled, aspect kept
    await llm.aclose()


async def test_one_pooled_client_serves_concurrent_calls_and_is_closed_once(
    llm: OpenAILLM, server: FakeOpenAIServer
) -> None:
    await asyncio.gather(*(llm.complete(HELLO) for _ in range(6)))
    sdk = llm.client.sdk
    await llm.complete(HELLO)
    assert llm.client.sdk is sdk and len(server.chat_requests) == 7
    await llm.aclose()
    assert llm.client._sdk is None


@pytest.fixture
def _openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.mark.usefixtures("_openai_key")
def test_prices_come_from_config_before_the_built_in_table(settings: Settings) -> None:
    settings.providers["openai"] = ProviderSettings(
        prices={"gpt-4o-mini": Price(input_per_mtok=1.0, output_per_mtok=2.0)}
    )
    assert OpenAILLM("gpt-4o-mini", settings).price() == Price(
        input_per_mtok=1.0, output_per_mtok=2.0
    )
    assert OpenAILLM("gpt-4.1-mini-2025-04-14", settings).price() == Price(
        input_per_mtok=0.40, output_per_mtok=1.60
    )
    assert OpenAILLM("my-finetune", settings).price() is None  # unknown, not free


@pytest.mark.usefixtures("_openai_key")
def test_cost_per_call_follows_the_price(settings: Settings) -> None:
    from imagent.backends.llm.base import Completion

    llm = OpenAILLM("gpt-4o-mini", settings)
    call = Completion(text="", input_tokens=1_000_000, output_tokens=500_000)
    assert llm.cost_usd(call) == pytest.approx(0.15 + 0.30)
    assert OpenAILLM("my-finetune", settings).cost_usd(call) == 0.0


@pytest.mark.usefixtures("_openai_key")
def test_hosted_models_are_capable_planners_unless_configured_small(settings: Settings) -> None:
    assert OpenAILLM("gpt-4o-mini", settings).tier == "capable"
    settings.providers["openai"] = ProviderSettings(options={"tier": "small"})
    assert OpenAILLM("gpt-4o-mini", settings).tier == "small"
    settings.providers["openai"] = ProviderSettings(options={"tier": "huge"})
    with pytest.raises(ConfigError, match=r"\[providers.openai\] options.tier = 'huge'"):
        OpenAILLM("gpt-4o-mini", settings)


@pytest.mark.usefixtures("_openai_key")
def test_ids_without_a_model_say_what_to_write(settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"openai/<model>, e\.g\. openai/gpt-4\.1-mini"):
        registry.resolve("llm", "openai", settings)


def test_dashscope_uses_its_own_key_and_the_region_of_its_image_api(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_COMPATIBLE_BASE_URL", "DASHSCOPE_HTTP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MissingKeyError, match="DASHSCOPE_API_KEY"):
        DashScopeLLM("qwen-plus", settings)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-dashscope-secret-0123456789")
    assert DashScopeLLM("qwen-plus", settings).base_url == (
        "https://dashscope.aliyuncs.com/compatible-mode/v1"
    )
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "https://dashscope-intl.aliyuncs.com/api/v1")
    assert DashScopeLLM("qwen-plus", settings).base_url == (
        "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    )
    monkeypatch.setenv("DASHSCOPE_COMPATIBLE_BASE_URL", "https://example.test/compatible-mode/v1")
    assert DashScopeLLM("qwen-plus", settings).base_url == "https://example.test/compatible-mode/v1"
    assert DashScopeLLM("qwen-vl-max", settings).price() == Price(
        input_per_mtok=0.80, output_per_mtok=3.20
    )
    assert dashscope_compatible_url("https://x.test/api/v1") == "https://x.test/compatible-mode/v1"


async def test_dashscope_sends_its_key_never_openais(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds_key = "sk-dashscope-secret-0123456789"
    with serving(monkeypatch, key=ds_key, quirks="dashscope") as server:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_API_KEY", ds_key)
        monkeypatch.setenv("DASHSCOPE_COMPATIBLE_BASE_URL", server.base_url)
        llm = registry.resolve("llm", "dashscope/qwen-plus", settings)
        assert (await llm.complete(HELLO)).text == "ok"
        assert server.chat_requests[0].headers["authorization"] == f"Bearer {ds_key}"
        await llm.aclose()


def test_a_key_in_a_variable_of_any_name_is_masked_in_outputs(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_LLM_PASSWORD", "hunter2-but-longer")
    settings.providers["vllm"] = ProviderSettings(api_key_env="LOCAL_LLM_PASSWORD")
    registry.resolve("llm", "vllm/qwen", settings)
    assert redact_text("key=hunter2-but-longer") == "key=[REDACTED]"


async def test_an_httpx2_mock_transport_can_stand_in_for_the_server(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx2

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        message = {"role": "assistant", "content": "mocked"}
        return httpx2.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
            },
        )

    llm = OpenAILLM("gpt-4o-mini", settings, transport=httpx2.MockTransport(handler))
    completion = await llm.complete(HELLO)
    assert (completion.text, completion.input_tokens) == ("mocked", 3)
    assert str(seen[0].url) == "https://api.openai.com/v1/chat/completions"
    await llm.aclose()
