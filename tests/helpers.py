"""Builders shared by tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from imagent.agent.trace import Tracer
from imagent.backends.llm.base import Message, text_of
from imagent.backends.llm.fake import FakeLLM
from imagent.core.types import Evidence, EvidenceSource, Gap, GapRoute, GapStatus, Usage


def in_threads(work: Callable[[], object], count: int = 4) -> list[BaseException]:
    """Run `work` in `count` threads at once; what each raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def tracer() -> Tracer:
    return Tracer("test-run", Usage())


def planner_answer(gaps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A planner model's JSON answer to the gaps call."""
    return {"gaps": gaps or []}


def planner(
    gaps: list[dict[str, Any]] | None = None,
    *,
    items: list[str] | None = None,
    details: list[str] | None = None,
    beats: list[str] | None = None,
    shared: str = "",
    knowledge: dict[str, str] | None = None,
    expression: str | None = None,
    extract: dict[str, Any] | None = None,
) -> FakeLLM:
    """A scripted small-tier planner: answers each call by the question it is asked (the
    schema it is given), so tests read as what the model says, not in which order."""

    def answer(messages: list[Message], schema: dict[str, Any] | None) -> Any:
        fields = set((schema or {}).get("properties", {}))
        if "gaps" in fields:
            return {"gaps": gaps or []}
        if "beats" in fields:
            count = (schema or {})["properties"]["beats"].get("minItems", len(beats or []))
            return {"beats": (beats or [])[:count] or ["..."] * count, "shared": shared}
        if "items" in fields:
            return {"items": items or [], "details": details or []}
        if "look" in fields:
            return knowledge or {"answer": "unknown", "why": "", "look": ""}
        if "expression" in fields:
            return {"expression": expression or ""}
        if "source" in fields:
            return extract or {"answer": "", "source": 0}
        raise AssertionError(f"unexpected call: {text_of(messages[0]['content'])[:60]}")

    return FakeLLM(function=answer)


def resolved_gap(
    route: GapRoute,
    span: str,
    resolution: str,
    source: EvidenceSource,
    snippet: str,
    *,
    question: str = "",
) -> Gap:
    """Gap g1, grounded to `resolution` on one piece of evidence."""
    return Gap(
        id="g1",
        question=question or f"What is {span}?",
        route=route,
        span=span,
        status=GapStatus.RESOLVED,
        resolution=resolution,
        evidence=[Evidence(source=source, snippet=snippet)],
    )
