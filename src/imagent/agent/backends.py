"""The backends one run uses, resolved from the request, the agent's defaults and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from imagent import registry
from imagent.backends.base import Backend
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM, Completion, Message
from imagent.backends.renderer.base import Renderer
from imagent.backends.search.base import Search
from imagent.core.errors import BackendError, BudgetExceededError
from imagent.core.types import Usage
from imagent.memory.base import Memory
from imagent.registry import NONE
from imagent.settings import Settings

NO_LLM = NONE


@dataclass
class Backends:
    llm: LLM | None
    renderer: Renderer
    judges: list[Judge]
    search: Search | None
    memory: Memory | None
    owned: list[Backend] = field(default_factory=list)  # built from ids here, so closed here

    async def aclose(self) -> None:
        """Close what this run built; backends the caller passed in stay the caller's."""
        for backend in self.owned:
            await backend.aclose()


def resolve_llm(value: LLM | str | None, settings: Settings) -> LLM | None:
    if value is None or isinstance(value, LLM):
        return value
    return None if value == NO_LLM else registry.resolve("llm", value, settings)


def resolve_renderer(value: Renderer | str, settings: Settings) -> Renderer:
    return value if isinstance(value, Renderer) else registry.resolve("renderer", value, settings)


def resolve_judges(values: list[Judge | str], settings: Settings) -> list[Judge]:
    return [v if isinstance(v, Judge) else registry.resolve("judge", v, settings) for v in values]


def resolve_search(value: Search | str | None, settings: Settings) -> Search | None:
    if value is None or isinstance(value, Search):
        return value
    return None if value == NONE else registry.resolve("search", value, settings)


def resolve_memory(value: Memory | str | None, settings: Settings) -> Memory | None:
    if value is None or isinstance(value, Memory):
        return value
    return None if value == NONE else registry.resolve("memory", value, settings)


def retrying(settings: Settings) -> AsyncRetrying:
    """Retry a backend call that failed in a retryable way, with exponential backoff."""
    return AsyncRetrying(
        stop=stop_after_attempt(max(1, settings.retries)),
        wait=wait_exponential(multiplier=settings.retry_wait_s, max=30),
        retry=retry_if_exception(lambda e: isinstance(e, BackendError) and e.retryable),
        reraise=True,
    )


class BudgetedLLM(LLM):
    """Wraps an LLM: refuses calls past the run's budget and retries transient failures."""

    def __init__(self, inner: LLM, usage: Usage, budget: int, settings: Settings) -> None:
        super().__init__(inner.model, settings)
        self.inner = inner
        self.usage = usage
        self.budget = budget
        self.supports_json_schema = inner.supports_json_schema  # type: ignore[misc]

    @property
    def id(self) -> str:
        return self.inner.id

    def cost_usd(self, completion: Completion) -> float:
        return self.inner.cost_usd(completion)

    async def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        if self.usage.llm_calls >= self.budget:
            raise BudgetExceededError(f"the run used its budget of {self.budget} model calls")
        async for attempt in retrying(self.settings):
            with attempt:
                return await self.inner.complete(
                    messages, schema, max_tokens=max_tokens, temperature=temperature
                )
        raise AssertionError("unreachable")  # pragma: no cover
