"""The backends one run uses, resolved from the request, the agent's defaults and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagent import registry
from imagent.agent.judging import STEP as JUDGE_STEP
from imagent.backends.base import Backend
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM, Completion, Message
from imagent.backends.renderer.base import Renderer
from imagent.backends.search.base import Search
from imagent.core.errors import BudgetExceededError
from imagent.core.types import Usage
from imagent.memory.base import Memory
from imagent.registry import NONE
from imagent.settings import Price, Settings

NO_LLM = NONE


@dataclass
class Backends:
    """The backends one run uses."""

    llm: LLM | None
    renderer: Renderer
    judges: list[Judge]
    search: Search | None
    memory: Memory | None


class BackendPool:
    """Backends built from string ids, one per (kind, id), kept until `aclose`.

    Backends handed in as objects stay their owner's: the pool never closes them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[tuple[str, str], Backend] = {}

    def _get(self, kind: registry.Kind, backend_id: str) -> Any:
        key = (kind, backend_id)
        if key not in self._built:
            self._built[key] = registry.resolve(kind, backend_id, self.settings)
        return self._built[key]

    def llm(self, value: LLM | str | None) -> LLM | None:
        if value is None or isinstance(value, LLM):
            return value
        return None if value == NONE else self._get("llm", value)

    def renderer(self, value: Renderer | str) -> Renderer:
        return value if isinstance(value, Renderer) else self._get("renderer", value)

    def judges(self, values: list[Judge | str]) -> list[Judge]:
        return [v if isinstance(v, Judge) else self._get("judge", v) for v in values]

    def search(self, value: Search | str | None) -> Search | None:
        if value is None or isinstance(value, Search):
            return value
        return None if value == NONE else self._get("search", value)

    def memory(self, value: Memory | str | None) -> Memory | None:
        if value is None or isinstance(value, Memory):
            return value
        return None if value == NONE else self._get("memory", value)

    async def aclose(self) -> None:
        built, self._built = list(self._built.values()), {}
        for backend in built:
            await backend.aclose()


class BudgetedLLM(LLM):
    """Wraps an LLM: refuses calls past the run's budget. (Retrying transient failures is
    the backend's own business, with the shared policy in `backends.retry`.)"""

    def __init__(self, inner: LLM, usage: Usage, budget: int, settings: Settings) -> None:
        super().__init__(inner.model, settings)
        self.inner = inner
        self.usage = usage
        self.budget = budget
        self.supports_json_schema = inner.supports_json_schema  # type: ignore[misc]
        self.supports_images = inner.supports_images  # type: ignore[misc]
        self.tier = inner.tier
        self._running = 0  # calls started and not yet recorded in `usage`

    @property
    def id(self) -> str:
        return self.inner.id

    def price(self) -> Price | None:
        return self.inner.price()

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
        # A VLM judge's calls are counted in usage but bounded by candidates and rounds, not
        # by this budget: judging one more candidate must not starve the planner.
        # Calls made at once (the planner's two) count before either is recorded.
        spent = self.usage.llm_calls - self.usage.calls_by_step.get(JUDGE_STEP, 0)
        if spent + self._running >= self.budget:
            raise BudgetExceededError(f"the run used its budget of {self.budget} model calls")
        self._running += 1
        try:
            return await self.inner.complete(
                messages, schema, max_tokens=max_tokens, temperature=temperature
            )
        finally:
            self._running -= 1
