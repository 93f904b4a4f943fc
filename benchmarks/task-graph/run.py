"""A 4-panel request against four single-image runs: how much the task graph saves.

Two settings, each measured `--repeats` times (median reported):
- `hosted-like`: a renderer that takes `--render-s` seconds per image (as a hosted image
  model does) and a zero-latency planner, so the difference is the graph's concurrency;
- `embedded`: the embedded defaults as a user runs them (local planner, layout renderer,
  OCR judge), when the `local` and `ocr` extras are installed.

Prints a table and writes results.json to --out.

    python benchmarks/task-graph/run.py --out out/bench-task-graph
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from imagent.agent.agent import Agent
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.types import GenerationSpec, Request
from imagent.settings import Settings

COMIC = "a 4-panel comic about a cat who loses its toy and finds it"
BEATS = [
    "the cat plays with a red ball",
    "the ball rolls under the sofa",
    "the cat searches everywhere",
    "the cat finds the ball and naps on it",
]
SINGLES = [f"a comic panel: {beat}, an orange tabby cat" for beat in BEATS]
TODAY = date(2026, 11, 25)


class TimedRenderer(FakeRenderer):
    """Renders like FakeRenderer, after `delay` seconds (a hosted model's latency)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        await asyncio.sleep(self.delay)
        return await super().render(spec)


def planner() -> FakeLLM:
    def answer(messages: Any, schema: dict[str, Any] | None) -> Any:
        fields = set((schema or {}).get("properties", {}))
        if "beats" in fields:
            return {"beats": BEATS, "shared": "an orange tabby cat with a green collar"}
        if "gaps" in fields:
            return {"gaps": []}
        return {"items": [], "details": []}

    return FakeLLM(function=answer)


async def timed(agent: Agent, prompts: list[str]) -> float:
    """Seconds to run `prompts` one after another, as a user would."""
    started = time.perf_counter()
    for prompt in prompts:
        await agent.run(Request(prompt=prompt, seed=1))
    return time.perf_counter() - started


async def hosted_like(settings: Settings, render_s: float, repeats: int) -> dict[str, float]:
    graph, singles = [], []
    for _ in range(repeats):
        agent = Agent(
            settings,
            llm=planner(),
            renderer=TimedRenderer(render_s),
            judges=["instruction"],
            memory="none",
            today=TODAY,
        )
        graph.append(await timed(agent, [COMIC]))
        singles.append(await timed(agent, SINGLES))
    return {"4-panel run": statistics.median(graph), "4 single runs": statistics.median(singles)}


async def embedded(settings: Settings, repeats: int) -> dict[str, float] | None:
    try:
        import llama_cpp  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return None
    graph, singles = [], []
    async with Agent(settings, memory="none", today=TODAY) as agent:
        await agent.plan("warm up the model")
        for _ in range(repeats):
            graph.append(await timed(agent, [COMIC]))
            singles.append(await timed(agent, SINGLES))
    return {"4-panel run": statistics.median(graph), "4 single runs": statistics.median(singles)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/bench-task-graph"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--render-s", type=float, default=2.0)
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="imagent-bench-"))
    settings = Settings(home=home, judges=["instruction", "ocr"])
    results: dict[str, Any] = {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "hosted-like": asyncio.run(hosted_like(settings, args.render_s, args.repeats)),
        "render_s": args.render_s,
    }
    if not args.skip_embedded:
        results["embedded"] = asyncio.run(embedded(settings, args.repeats))
    table = Table(title="4-panel request vs four single runs (median seconds)")
    for column in ("setting", "4-panel run", "4 single runs", "ratio"):
        table.add_column(column)
    for name in ("hosted-like", "embedded"):
        row = results.get(name)
        if row:
            ratio = row["4 single runs"] / row["4-panel run"]
            table.add_row(
                name, f"{row['4-panel run']:.2f}", f"{row['4 single runs']:.2f}", f"{ratio:.2f}x"
            )
    Console().print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.exit(main())
