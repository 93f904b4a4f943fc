"""The event stream of one run: sequence-numbered typed events, fanned out asynchronously.

`emit` never waits for a subscriber: each subscriber has its own queue and task, so a slow
one only falls behind and a failing one is dropped (with a warning in the log), never
breaking or slowing the run. trace.jsonl is written by a subscriber that appends in a worker
thread, so the event loop never blocks on the disk; `aclose` flushes it completely.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from imagent.backends.llm.base import LLM, Completion
from imagent.core.events import (
    Decided,
    DecidedBy,
    Failed,
    ModelCalled,
    Payload,
    StepEnded,
    StepStarted,
    TraceEvent,
    Warned,
)
from imagent.core.types import ModelCall, Usage
from imagent.runs.redact import redact_text

EventCallback = Callable[[TraceEvent], Awaitable[None] | None]
SLOW_SUBSCRIBER_GRACE_S = 1.0  # how long a finished run waits for a subscriber to catch up
_log = logging.getLogger("imagent.events")
_END = None


class _Subscriber:
    """One consumer: its own queue, drained by its own task."""

    def __init__(self, callback: EventCallback, name: str) -> None:
        self.callback = callback
        self.name = name
        self.queue: asyncio.Queue[TraceEvent | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.broken = False

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while (event := await self.queue.get()) is not _END:
            if self.broken:
                continue
            try:
                outcome = self.callback(event)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # a subscriber's bug must never reach the run
                self.broken = True
                _log.warning("event subscriber %s failed; it gets no more events", self.name)
                _log.debug("subscriber failure", exc_info=True)


class _FileSubscriber(_Subscriber):
    """Writes whatever has queued up in one worker-thread call: one thread hop per batch."""

    def __init__(self, path: Path) -> None:
        super().__init__(lambda event: None, "trace.jsonl")
        self.path = path

    async def _drain(self) -> None:
        ended = False
        while not ended:
            batch = [await self.queue.get()]
            while not self.queue.empty():
                batch.append(self.queue.get_nowait())
            ended = _END in batch
            lines = [_line(e) for e in batch if e is not None]
            if lines:
                await asyncio.to_thread(self.write, lines)

    def write(self, lines: list[str]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.writelines(lines)


def _line(event: TraceEvent) -> str:
    return redact_text(event.model_dump_json()) + "\n"


class Tracer:
    """Records what a run does. `usage` accumulates every model call.

    `start_seq` continues the numbering of a resumed run, so sequence numbers are unique
    across the whole run.
    """

    def __init__(
        self,
        run_id: str,
        usage: Usage,
        callbacks: list[EventCallback] | None = None,
        *,
        start_seq: int = 0,
    ) -> None:
        self.run_id = run_id
        self.usage = usage
        self.events: list[TraceEvent] = []
        self.next_seq = start_seq
        self._t0 = time.perf_counter()
        self._pending = list(callbacks or [])
        self._subscribers: list[_Subscriber] = []
        self._live: list[asyncio.Queue[TraceEvent | None]] = []
        self._file: _FileSubscriber | None = None

    # -- subscribing ---------------------------------------------------------------

    def subscribe(self, callback: EventCallback, name: str = "") -> None:
        """Deliver every later event to `callback` (sync or async), asynchronously."""
        subscriber = _Subscriber(callback, name or getattr(callback, "__name__", "callback"))
        self._subscribers.append(subscriber)
        if _running_loop():
            subscriber.start()

    def write_to(self, path: Path) -> None:
        """Append every later event to `path` as JSON lines (secrets masked)."""
        self._file = _FileSubscriber(path)
        self._subscribers.append(self._file)
        if _running_loop():
            self._file.start()

    async def stream(self, after: int = -1) -> AsyncIterator[TraceEvent]:
        """Events with `seq > after`: the ones already emitted, then live ones until the end."""
        queue: asyncio.Queue[TraceEvent | None] = asyncio.Queue()
        for event in self.events:
            if event.seq > after:
                queue.put_nowait(event)
        self._live.append(queue)
        try:
            while (item := await queue.get()) is not _END:
                yield item
        finally:
            with contextlib.suppress(ValueError):
                self._live.remove(queue)

    async def aclose(self) -> None:
        """End the stream: flush trace.jsonl fully, give other subscribers a moment."""
        for queue in self._live:
            queue.put_nowait(_END)
        for subscriber in self._subscribers:
            subscriber.queue.put_nowait(_END)
        tasks = [s.task for s in self._subscribers if s.task is not None]
        if self._file is not None and self._file.task is not None:
            await self._file.task  # the record of the run is complete before we return
        if tasks:
            _, slow = await asyncio.wait(tasks, timeout=SLOW_SUBSCRIBER_GRACE_S)
            for task in slow:
                task.cancel()
        self._subscribers.clear()

    # -- emitting ------------------------------------------------------------------

    def emit(
        self, step: str, payload: Payload, message: str = "", *, task_id: str | None = None
    ) -> TraceEvent:
        self._start_pending()
        event = TraceEvent(
            seq=self.next_seq,
            run_id=self.run_id,
            step=step,
            task_id=task_id,
            message=message,
            payload=payload,
            elapsed_s=round(time.perf_counter() - self._t0, 4),
        )
        self.next_seq += 1
        self.events.append(event)
        for subscriber in self._subscribers:
            if subscriber.task is None:  # no event loop: deliver in line (tests, sync code)
                _deliver_now(subscriber, event)
            else:
                subscriber.queue.put_nowait(event)
        for queue in self._live:
            queue.put_nowait(event)
        return event

    def _start_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            for callback in pending:
                self.subscribe(callback)

    def start(self, step: str, *, task_id: str | None = None) -> None:
        self.emit(step, StepStarted(), task_id=task_id)

    def end(self, step: str, seconds: float, *, task_id: str | None = None) -> None:
        self.emit(step, StepEnded(seconds=seconds), task_id=task_id)

    def warning(self, step: str, message: str, *, task_id: str | None = None) -> None:
        self.emit(step, Warned(), message, task_id=task_id)

    def error(self, step: str, error: BaseException, *, task_id: str | None = None) -> None:
        self.emit(step, Failed(error_type=type(error).__name__), str(error), task_id=task_id)

    def decision(
        self,
        step: str,
        message: str,
        *,
        by: DecidedBy | None = None,
        task_id: str | None = None,
        **fields: Any,
    ) -> None:
        self.emit(step, Decided(by=by, **fields), message, task_id=task_id)

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
        self.emit(step, ModelCalled(call=call), f"{llm.id}: {call.output_tokens} tokens")
        return call


def _deliver_now(subscriber: _Subscriber, event: TraceEvent) -> None:
    if isinstance(subscriber, _FileSubscriber):
        subscriber.write([_line(event)])
        return
    try:
        outcome = subscriber.callback(event)
        if inspect.isawaitable(outcome):
            close = getattr(outcome, "close", None)
            if close is not None:
                close()  # an async callback cannot run without a loop
    except Exception:
        subscriber.broken = True
        _log.warning("event subscriber %s failed; it gets no more events", subscriber.name)


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def read_trace(path: Path, after: int = -1) -> list[TraceEvent]:
    """The events saved in a trace.jsonl with `seq > after` (lines of older formats skipped)."""
    events: list[TraceEvent] = []
    if not path.is_file():
        return events
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = TraceEvent.model_validate(json.loads(line))
        except ValueError:
            continue
        if event.seq > after:
            events.append(event)
    return events


def last_seq(path: Path) -> int:
    """The highest sequence number in a trace.jsonl, or -1."""
    events = read_trace(path)
    return max((e.seq for e in events), default=-1)
