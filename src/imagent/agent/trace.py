"""Typed trace events for one run, sent to callbacks and appended to trace.jsonl."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imagent.backends.llm.base import LLM, Completion
from imagent.core.types import ModelCall, TraceEvent, Usage
from imagent.runs.redact import redact_text

EventCallback = Callable[[TraceEvent], None]


class Tracer:
    """Records what a run does. `usage` accumulates every model call."""

    def __init__(self, run_id: str, usage: Usage, callbacks: list[EventCallback] | None = None):
        self.run_id = run_id
        self.usage = usage
        self.callbacks = list(callbacks or [])
        self.sink: Path | None = None
        self.events: list[TraceEvent] = []
        self._t0 = time.perf_counter()

    def emit(
        self,
        step: str,
        kind: Any,
        message: str = "",
        data: dict[str, Any] | None = None,
        call: ModelCall | None = None,
    ) -> TraceEvent:
        event = TraceEvent(
            run_id=self.run_id,
            step=step,
            kind=kind,
            message=message,
            data=data or {},
            call=call,
            elapsed_s=round(time.perf_counter() - self._t0, 4),
        )
        self.events.append(event)
        if self.sink is not None:
            with self.sink.open("a", encoding="utf-8") as fh:
                fh.write(redact_text(event.model_dump_json()) + "\n")
        for callback in self.callbacks:
            callback(event)
        return event

    def model_call(self, step: str, llm: LLM, completion: Completion) -> ModelCall:
        """Account for one LLM call and emit it."""
        call = ModelCall(
            model=llm.id,
            step=step,
            input_tokens=completion.input_tokens,
            output_tokens=completion.output_tokens,
            latency_s=round(completion.latency_s, 4),
            cost_usd=llm.cost_usd(completion),
            cost_known=llm.price() is not None,
        )
        self.usage.add(call)
        self.emit(step, "llm_call", f"{llm.id}: {call.output_tokens} tokens", call=call)
        return call

    def decision(self, step: str, message: str, **data: Any) -> None:
        self.emit(step, "decision", message, data)
