"""The event stream: sequence numbers, typed payloads, subscribers that cannot hurt a run."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from imagent.agent.agent import Agent
from imagent.agent.trace import Tracer, read_trace
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.events import Decided, ModelCalled, StepEnded, TraceEvent
from imagent.core.types import RunStatus, Usage
from imagent.settings import Settings

from .conftest import TODAY

CHALKBOARD = "A chalkboard showing the result of 17 x 23, written large"


def agent(settings: Settings, **kw) -> Agent:  # type: ignore[no-untyped-def]
    base = {"llm": "none", "renderer": FakeRenderer(), "judges": ["instruction"], "memory": "none"}
    return Agent(settings, today=TODAY, **{**base, **kw})


async def test_every_event_has_a_run_wide_sequence_number_and_a_typed_payload(
    settings: Settings,
) -> None:
    seen: list[TraceEvent] = []
    result = await agent(settings, on_event=seen.append).run(CHALKBOARD, seed=1)
    assert [e.seq for e in seen] == list(range(len(seen)))
    ends = [e for e in seen if isinstance(e.payload, StepEnded)]
    assert [e.step for e in ends] == ["load", "plan", "ground", "compose", "render", "remember"]
    decision = next(e for e in seen if isinstance(e.payload, Decided) and e.payload.gap_id)
    assert decision.payload.by == "rules"  # type: ignore[union-attr]
    renders = [e for e in seen if e.kind == "render"]
    assert renders and all(e.task_id == "t1" for e in renders)
    assert seen[-1].kind == "finished" and seen[-1].payload.status == result.status  # type: ignore[union-attr]
    saved = read_trace(Path(result.run_dir or "") / "trace.jsonl")
    assert [e.model_dump() for e in saved] == [e.model_dump() for e in seen]


async def test_a_failing_subscriber_never_breaks_the_run(settings: Settings) -> None:
    calls = []

    def broken(event: TraceEvent) -> None:
        calls.append(event.seq)
        raise RuntimeError("subscriber bug")

    result = await agent(settings, on_event=broken).run(CHALKBOARD, seed=1)
    assert result.status is RunStatus.DONE
    assert calls == [0]  # dropped after its first failure
    lines = (Path(result.run_dir or "") / "trace.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["payload"]["kind"] == "finished"


async def test_a_slow_subscriber_never_slows_the_run(settings: Settings) -> None:
    async def slow(event: TraceEvent) -> None:
        await asyncio.sleep(0.5)

    started = time.perf_counter()
    result = await agent(settings, on_event=slow).run(CHALKBOARD, seed=1)
    elapsed = time.perf_counter() - started
    assert result.status is RunStatus.DONE
    # ~40 events at 0.5 s each would take 20 s if the run waited for the subscriber.
    assert elapsed < 5


async def test_a_consumer_resumes_the_stream_from_a_sequence_number() -> None:
    tracer = Tracer("r1", Usage())
    for n in range(5):
        tracer.decision("plan", f"d{n}")
    received: list[int] = []

    async def consume() -> None:
        async for event in tracer.stream(after=2):
            received.append(event.seq)

    consumer = asyncio.create_task(consume())
    await asyncio.sleep(0)
    tracer.decision("plan", "live")
    await tracer.aclose()
    await consumer
    assert received == [3, 4, 5]


async def test_model_calls_carry_their_cost_record() -> None:
    from imagent.backends.llm.base import Completion
    from imagent.backends.llm.fake import FakeLLM

    tracer = Tracer("r1", Usage())
    tracer.model_call("plan", FakeLLM(), Completion(text="{}", input_tokens=10, output_tokens=3))
    [event] = tracer.events
    assert isinstance(event.payload, ModelCalled) and event.call is not None
    assert (event.call.input_tokens, event.call.output_tokens) == (10, 3)
    assert tracer.usage.llm_calls == 1


async def test_resumed_runs_continue_the_sequence(settings: Settings) -> None:
    flaky = FakeRenderer(fail_first=99)
    first = agent(settings, renderer=flaky)
    try:
        await first.run(CHALKBOARD, seed=1)
    except Exception as exc:
        run_id = exc.run_id  # type: ignore[attr-defined]
    resumed = await agent(settings, renderer=FakeRenderer()).resume(run_id)
    events = read_trace(Path(resumed.run_dir or "") / "trace.jsonl")
    seqs = [e.seq for e in events]
    assert seqs == list(range(len(seqs)))  # one numbering across both attempts
    assert [e.payload.status for e in events if e.kind == "finished"] == ["failed", "done"]  # type: ignore[union-attr]
