"""The agent's own overhead per request, with zero-latency fakes for every backend.

Every model, renderer and search answers instantly, so what is measured is imagent itself:
planning rules, grounding, composing, judging, trace events and (for `run`) writing the run
folder. Prints a table and writes `summary.json` to --out.

    python benchmarks/overhead/run.py --requests 200 --out out/bench-overhead
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from imagent.agent.agent import Agent
from imagent.backends.llm.base import Message
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.fake import FakeRenderer
from imagent.backends.search.fake import FakeSearch
from imagent.core.types import Request, Result
from imagent.memory.base import MemoryEntry
from imagent.memory.fake import InMemoryMemory
from imagent.settings import Settings


@dataclass(frozen=True)
class Scenario:
    route: str
    prompt: str
    planner: dict[str, Any]  # what the fake planner model answers
    follow_up: dict[str, Any] | None = None  # the answer to a second model call, if any


SCENARIOS = [
    Scenario(
        "none",
        "a watercolor of a lighthouse at dusk",
        {},
    ),
    Scenario(
        "reason (rules)",
        "A chalkboard showing the result of 17 x 23, written large",
        {},
    ),
    Scenario(
        "reason (model program)",
        "a birthday card showing the age of a tree planted 40 years before 2001",
        {
            "gaps": [
                {
                    "span": "the age of a tree planted 40 years before 2001",
                    "route": "reason",
                }
            ]
        },
        {"expression": "current_year - (2001 - 40)"},
    ),
    Scenario(
        "search",
        "a poster for tomorrow's weather in Hangzhou",
        {
            "gaps": [
                {
                    "span": "tomorrow's weather in Hangzhou",
                    "route": "search",
                }
            ]
        },
        {"answer": "light rain, 14 to 19 °C", "source": 0},
    ),
    Scenario(
        "memory",
        "a poster in my usual style for the bake sale",
        {
            "gaps": [
                {
                    "span": "my usual style",
                    "route": "memory",
                }
            ]
        },
    ),
]
DOCS = [{"title": "Hangzhou", "text": "Tomorrow in Hangzhou: light rain, 14 to 19 °C, east wind."}]


def _planner(scenario: Scenario) -> FakeLLM:
    """A model that answers the planner, then the follow-up call, instantly."""

    def answer(messages: list[Message], schema: dict[str, Any] | None) -> dict[str, Any]:
        if "You find gaps" in messages[0]["content"]:
            return {"gaps": [], **scenario.planner}
        return scenario.follow_up or {}

    return FakeLLM("bench", function=answer)


async def _one(
    settings: Settings, scenario: Scenario, memory: InMemoryMemory, *, save: bool
) -> tuple[float, Result]:
    agent = Agent(
        settings,
        llm=_planner(scenario),
        renderer=FakeRenderer("bench"),
        judges=["instruction"],
        search=FakeSearch(documents=DOCS),
        memory=memory,
    )
    request = Request(prompt=scenario.prompt, size="256x256", seed=1, user_id="bench")
    started = time.perf_counter()
    result = await (agent.run(request) if save else agent.plan(request))
    return (time.perf_counter() - started) * 1000, result


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(requests: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), retry_wait_s=0)
        memory = InMemoryMemory()
        profile = "usual style: teal and coral flat illustration"
        await memory.remember(MemoryEntry(user_id="bench", kind="profile", content=profile))
        for scenario in SCENARIOS:
            for save in (False, True):
                await _one(settings, scenario, memory, save=save)  # warm-up
                timings, calls = [], []
                for _ in range(requests):
                    ms, result = await _one(settings, scenario, memory, save=save)
                    timings.append(ms)
                    calls.append(result.usage.llm_calls)
                rows.append(
                    {
                        "route": scenario.route,
                        "mode": "run (writes run folder)" if save else "plan (no I/O)",
                        "requests": requests,
                        "p50_ms": round(statistics.median(timings), 3),
                        "p95_ms": round(_percentile(timings, 0.95), 3),
                        "mean_ms": round(statistics.fmean(timings), 3),
                        "llm_calls_per_request": statistics.fmean(calls),
                        "gaps_resolved": [g.status.value for g in result.gaps],
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("out/bench-overhead"))
    args = parser.parse_args(argv)
    rows = asyncio.run(measure(args.requests))
    table = Table(
        title=f"imagent overhead per request (zero-latency fakes, {args.requests} requests each)"
    )
    for column in ("route", "mode", "p50 ms", "p95 ms", "LLM calls/request", "gaps"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["route"], row["mode"], f"{row['p50_ms']:.2f}", f"{row['p95_ms']:.2f}",
            f"{row['llm_calls_per_request']:.0f}", ",".join(row["gaps_resolved"]) or "-",
        )  # fmt: skip
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps({"rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
