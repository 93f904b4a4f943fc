"""`openai/<model>`: any chat model behind the OpenAI chat-completions API.

OpenAI itself, or any server that speaks its API: set `OPENAI_BASE_URL` (or `base_url` in
`[providers.openai]`) to a vLLM, Ollama, llama.cpp or OpenRouter URL. Sibling providers in
`compatible.py` preset the URL and key variable for DashScope, Ollama, vLLM, llama.cpp and
OpenRouter. Messages may carry images (content parts), so a vision model can judge.

A schema is answered at the best structured-output tier the server honours (see
`structured_output`), learned per server + model and remembered (see `server_quirks`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import httpx2
from openai.types.chat import ChatCompletion

from imagent.backends.http import api_key
from imagent.backends.llm.base import LLM, Completion, Message, Tier
from imagent.backends.llm.server_quirks import ServerQuirks, lower_tier, quirks_for, remember
from imagent.backends.llm.structured_output import (
    FORMAT_ERROR,
    TIERS,
    OutputTier,
    conforms,
    extract_json,
    messages_for,
    response_format,
)
from imagent.backends.openai_client import OpenAIClient
from imagent.backends.pricing import price_for
from imagent.backends.retry import RetryPolicy
from imagent.core.errors import BackendError, ConfigError, ModerationError
from imagent.runs.redact import register_secret_env_var
from imagent.settings import Price, Settings

_TIER_NAMES: tuple[Tier, ...] = ("small", "capable")


@dataclass
class _Answer:
    completion: Completion
    finish_reason: str | None


class OpenAILLM(LLM):
    """A chat model reached through the openai SDK at an OpenAI-compatible base URL."""

    provider: ClassVar[str] = "openai"
    supports_json_schema: ClassVar[bool] = True  # answered at whatever tier the server honours
    supports_images: ClassVar[bool] = True  # the server says so if the model cannot see
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"
    default_key_env: ClassVar[str] = "OPENAI_API_KEY"
    # True: a key is always needed; None: only at the default base URL (a local server at
    # another URL may have no auth); False: never (servers you run yourself).
    key_required: ClassVar[bool | None] = None
    self_hosted: ClassVar[bool] = False  # free unless a price is configured
    example_model: ClassVar[str] = "gpt-4.1-mini"

    def __init__(
        self,
        model: str = "",
        settings: Settings | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        if not model:
            raise ConfigError(
                f"{self.provider} needs a model: use {self.provider}/<model>, "
                f"e.g. {self.provider}/{self.example_model}"
            )
        super().__init__(model, settings)
        self.section = self.settings.provider(self.provider)
        self.base_url = self.resolve_base_url().rstrip("/")
        self.key_env = self.section.api_key_env or self.default_key_env
        self.client = self._client(transport)
        self.tier = self._option("tier", _TIER_NAMES, "capable")
        forced = self._option("structured_output", (*(str(t) for t in TIERS), ""), "")
        self.forced_tier = OutputTier(forced) if forced else None
        self.cache = self.settings.home / "cache" / "llm-servers.json"

    def _client(self, transport: httpx2.AsyncBaseTransport | None) -> OpenAIClient:
        register_secret_env_var(self.key_env)
        needed = self.key_required
        if needed is None:
            needed = self.base_url == self.default_base_url
        return OpenAIClient(
            self.id,
            self.base_url,
            api_key(self.key_env, self.id, required=needed),
            key_env=self.key_env,
            timeout_s=self.section.timeout_s,
            connect_timeout_s=self.section.connect_timeout_s,
            concurrency=self.section.concurrency,
            policy=RetryPolicy.from_settings(self.settings),
            transport=transport,
        )

    def resolve_base_url(self) -> str:
        """`base_url` in the provider's section, else its env var, else the default."""
        env = os.environ.get(self.base_url_env, "").strip() if self.base_url_env else ""
        return self.section.base_url or env or self.default_base_url

    def _option(self, name: str, allowed: tuple[str, ...], default: str) -> Any:
        value = str(self.section.options.get(name, default))
        if value not in allowed:
            raise ConfigError(
                f"[providers.{self.provider}] options.{name} = {value!r} is not one of "
                f"{', '.join(repr(a) for a in allowed if a)}"
            )
        return value

    @property
    def quirks(self) -> ServerQuirks:
        return quirks_for(self.base_url, self.model, self.cache)

    def price(self) -> Price | None:
        found = price_for(self.provider, self.model, self.section)
        return found if found is not None or not self.self_hosted else Price()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def ping(self) -> str:
        completion = await self.complete(
            [{"role": "user", "content": "Reply with the word ok."}], max_tokens=5
        )
        return f"{self.model} at {self.base_url} answered in {completion.latency_s:.2f} s"

    async def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        """Answer `messages`; with a schema, the text is JSON for it (or, when the server
        would not give JSON, its raw answer, for the caller to re-ask with the error)."""
        if schema is None:
            answer = await self._chat(messages, None, max_tokens, temperature)
            return answer.completion
        return await self._structured(messages, schema, max_tokens, temperature)

    async def _structured(
        self, messages: list[Message], schema: dict[str, Any], max_tokens: int, temperature: float
    ) -> Completion:
        tier: OutputTier | None = self.forced_tier or self.quirks.tier
        spent = Completion(text="")  # tries thrown away are still paid for
        while tier is not None:
            below = None if self.forced_tier else lower_tier(tier)
            try:
                answer = await self._chat(
                    messages_for(tier, messages, schema),
                    response_format(tier, schema),
                    max_tokens,
                    temperature,
                )
            except BackendError as exc:
                if below is None or not _rejects_format(exc):
                    raise
                tier = below
                continue
            found, value = extract_json(answer.completion.text)
            if _honoured(tier, found, value, schema):
                self._settle(tier)
                return _total(spent, answer.completion, json.dumps(value, ensure_ascii=False))
            if below is None or answer.finish_reason == "length":
                return _total(spent, answer.completion, answer.completion.text)
            spent = _total(spent, answer.completion, "")
            tier = below  # the server ignored the format: ask again a tier down
        raise AssertionError("unreachable")  # pragma: no cover

    def _settle(self, tier: OutputTier) -> None:
        quirks = self.quirks
        if self.forced_tier is None and tier != quirks.tier:
            quirks.tier = tier
            remember(self.base_url, self.model, quirks, f"structured output: {tier}", self.cache)

    async def _chat(
        self,
        messages: list[Message],
        response_format: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> _Answer:
        while True:
            quirks = self.quirks
            params: dict[str, Any] = {"model": self.model, "messages": messages}
            params[quirks.token_field] = max_tokens
            if quirks.temperature:
                params["temperature"] = temperature
            if response_format is not None:
                params["response_format"] = response_format
            if extra := self.section.options.get("extra_body"):
                params["extra_body"] = extra
            try:
                return await self._send(params)
            except BackendError as exc:
                if not self._adapt(exc, quirks):
                    raise

    async def _send(self, params: dict[str, Any]) -> _Answer:
        start = time.perf_counter()
        response = await self.client.call(
            lambda sdk, timeout: cast(Any, sdk.chat.completions).create(**params, timeout=timeout)
        )
        return self._read(cast(ChatCompletion, response), time.perf_counter() - start)

    def _read(self, response: ChatCompletion, latency_s: float) -> _Answer:
        request_id = getattr(response, "_request_id", None)
        if not response.choices:
            raise BackendError(self.id, "the answer had no choices", request_id=request_id)
        choice = response.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise ModerationError(self.id, f"the model refused: {refusal}", request_id=request_id)
        if choice.finish_reason == "content_filter":
            raise ModerationError(
                self.id, "the provider's content filter withheld the answer", request_id=request_id
            )
        usage = response.usage
        completion = Completion(
            text=choice.message.content or "",
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            latency_s=latency_s,
        )
        return _Answer(completion, choice.finish_reason)

    def _adapt(self, exc: BackendError, quirks: ServerQuirks) -> bool:
        """Learn a parameter the model refuses (OpenAI's reasoning models want
        `max_completion_tokens` and only their default temperature); True when the call is
        worth sending again."""
        if exc.status != 400:
            return False
        text = exc.message
        if quirks.token_field == "max_tokens" and "max_completion_tokens" in text:
            quirks.token_field = "max_completion_tokens"
        elif quirks.temperature and "temperature" in text:
            quirks.temperature = False
        else:
            return False
        remember(self.base_url, self.model, quirks, f"adapted to: {text[:120]}", self.cache)
        return True


def _honoured(tier: OutputTier, found: bool, value: Any, schema: dict[str, Any]) -> bool:
    """Whether the answer shows the server kept to `tier`: a schema is enforced, so the answer
    fits it; JSON mode and text promise only a JSON object, so one that does not fit the
    schema goes back to the caller, which re-asks with the validation error."""
    if not found or not isinstance(value, dict):
        return False
    return tier is not OutputTier.JSON_SCHEMA or conforms(value, schema)


def _rejects_format(exc: BackendError) -> bool:
    """A 400/422 about the requested output format (not moderation, not the prompt)."""
    if exc.status not in (400, 422) or isinstance(exc, ModerationError):
        return False
    return bool(FORMAT_ERROR.search(f"{exc.message} {exc.code or ''}"))


def _total(spent: Completion, last: Completion, text: str) -> Completion:
    return Completion(
        text=text,
        input_tokens=spent.input_tokens + last.input_tokens,
        output_tokens=spent.output_tokens + last.output_tokens,
        latency_s=spent.latency_s + last.latency_s,
    )
