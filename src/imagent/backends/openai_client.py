"""Provider plumbing for backends that speak through the official openai SDK.

The SDK brings the request and response shapes of OpenAI and of every server that copies
them (DashScope's compatible mode, vLLM, Ollama, llama.cpp's server, OpenRouter). Everything
else is ours and lives once: one pooled httpx2 client per backend, a cap on calls in flight,
timeouts cut to the run's deadline, retries by the shared policy (the SDK's own are off, so
`Retry-After` and the deadline are honoured in one place), and SDK errors turned into the
same typed errors `HTTPProvider` raises, carrying the provider's message and request id and
never the key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx2
import openai

from imagent.backends.http import classify_response, shared_ssl_context
from imagent.backends.retry import RetryPolicy, call_with_retries, time_left
from imagent.core.errors import BackendError

T = TypeVar("T")
_log = logging.getLogger("imagent.backends")
# Servers without auth (a local Ollama or llama.cpp) still get a bearer token from the SDK,
# which insists on one; this stands in for it and is never a secret.
NO_KEY = "no-key"


class OpenAIClient:
    """The SDK side of one backend: base URL, key, pooled client, concurrency, retries."""

    def __init__(
        self,
        backend_id: str,
        base_url: str,
        api_key: str | None,
        *,
        key_env: str | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.backend_id = backend_id
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        self.timeout = httpx2.Timeout(timeout_s, connect=connect_timeout_s)
        self.concurrency = concurrency
        self.policy = policy or RetryPolicy()
        self._api_key = api_key or NO_KEY
        self._transport = transport
        self._sdk: openai.AsyncOpenAI | None = None
        self._http: httpx2.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"<OpenAIClient {self.backend_id} at {self.base_url}>"

    @property
    def sdk(self) -> openai.AsyncOpenAI:
        """The SDK client, created on first use and kept until `aclose`."""
        if self._sdk is None:
            self._http = httpx2.AsyncClient(
                timeout=self.timeout,
                limits=httpx2.Limits(max_connections=self.concurrency * 2),
                transport=self._transport,
                follow_redirects=False,
                verify=shared_ssl_context(),
            )
            self._sdk = openai.AsyncOpenAI(
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # ours, below: one policy, Retry-After and the deadline
                http_client=self._http,
            )
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
        if self._http is not None:
            await self._http.aclose()
        self._sdk = self._http = self._slots = None

    async def call(self, send: Callable[[openai.AsyncOpenAI, httpx2.Timeout], Awaitable[T]]) -> T:
        """`await send(sdk, timeout)`, retried by the policy; SDK errors become typed errors.

        `timeout` is the backend's, cut to what is left of the run's deadline.
        """
        return await call_with_retries(
            lambda: self._once(send), self.policy, on_retry=self._retrying
        )

    def _retrying(self, attempt: int, error: BackendError, wait_s: float) -> None:
        _log.info(
            "%s: attempt %d failed (%s); retrying in %.1f s",
            self.backend_id,
            attempt,
            error,
            wait_s,
        )

    async def _once(self, send: Callable[[openai.AsyncOpenAI, httpx2.Timeout], Awaitable[T]]) -> T:
        sdk = self.sdk
        assert self._slots is not None
        async with self._slots:
            try:
                return await send(sdk, self._timeout())
            except openai.APIStatusError as exc:
                raise classify_response(self.backend_id, exc.response, self.key_env) from exc
            except openai.APITimeoutError as exc:
                raise BackendError(
                    self.backend_id, f"no answer from {self.base_url} in time", retryable=True
                ) from exc
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                raise BackendError(
                    self.backend_id,
                    f"cannot reach {self.base_url}: {cause} (check the base URL and the network)",
                    retryable=True,
                ) from exc
            except openai.OpenAIError as exc:
                raise BackendError(self.backend_id, f"unexpected answer: {exc}") from exc

    def _timeout(self) -> httpx2.Timeout:
        left = time_left()
        if left is None:
            return self.timeout
        read = min(self.timeout.read or left, max(0.1, left))
        connect = min(self.timeout.connect or left, max(0.1, left))
        return httpx2.Timeout(read, connect=connect)
