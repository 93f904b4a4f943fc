"""Model calls a backend makes on its own (a VLM judge asking its LLM) reported to the run.

The agent accounts for the LLM calls it makes itself; a backend that calls a model inside
its own method reports each call here instead, and the run's meter (set by the agent for
the length of a run, like the deadline in `retry`) adds it to the run's usage and trace.
Outside a run nothing is metered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from imagent.backends.llm.base import LLM, Completion

Meter = Callable[[str, "LLM", "Completion"], object]

_meter: ContextVar[Meter | None] = ContextVar("imagent_model_call_meter", default=None)


@contextmanager
def metered(meter: Meter | None) -> Iterator[None]:
    """Within this block, `report_model_call(step, llm, completion)` calls `meter`."""
    token = _meter.set(meter)
    try:
        yield
    finally:
        _meter.reset(token)


def report_model_call(step: str, llm: LLM, completion: Completion) -> None:
    """Account for one model call made inside a backend (tokens, latency, cost)."""
    meter = _meter.get()
    if meter is not None:
        meter(step, llm, completion)
