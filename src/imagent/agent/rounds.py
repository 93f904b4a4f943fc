"""RENDER → JUDGE → REPAIR rounds, keeping the best candidate across rounds.

Each round renders the current spec (retrying transient renderer failures), saves every
candidate with its metadata, judges it against the checklist, then either stops (all
passed, or the round budget is spent) or applies the repair chosen for the failed items.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imagent import __version__
from imagent.agent import backends as bk
from imagent.agent.judging import best_of, judge_candidate
from imagent.agent.repair import plan_repair
from imagent.agent.trace import Tracer
from imagent.backends.renderer.base import RenderedImage
from imagent.core.types import Candidate, GenerationSpec, Result, Round
from imagent.runs.png import save_png
from imagent.settings import Settings

Checkpoint = Callable[[Result], object]


async def render_rounds(
    result: Result,
    backends: bk.Backends,
    tracer: Tracer,
    settings: Settings,
    checkpoint: Checkpoint | None,
) -> None:
    """Run rounds until the checklist passes or `max_rounds` repairs are spent."""
    assert result.spec is not None
    while True:
        index = len(result.rounds)
        previous = result.rounds[-1] if result.rounds else None
        spec = result.spec
        rendered = await backends.renderer.render(spec)
        for one in rendered:
            tracer.usage.add_render(one.cost_usd)
        candidates = await asyncio.gather(
            *(
                _candidate(result, spec, backends, tracer, index, k, one)
                for k, one in enumerate(rendered)
            )
        )
        result.rounds.append(
            Round(
                index=index,
                action=previous.repair if previous and previous.repair else "initial",
                reason=previous.repair_reason if previous else "",
                prompt=spec.prompt,
                candidates=list(candidates),
            )
        )
        result.best = best_of([c for c in (result.best, *candidates) if c is not None])
        result.final_prompt = result.rounds[result.best.round].prompt
        repair = plan_repair(result.best, result.checklist, spec, index + 1)
        if repair is None or index >= result.request.options.max_rounds:
            break
        tracer.emit("repair", "decision", f"{repair.action}: {repair.reason}")
        result.rounds[-1].repair, result.rounds[-1].repair_reason = repair.action, repair.reason
        result.spec = repair.spec
        if checkpoint is not None:
            checkpoint(result)
    _keep_final_image(result)


async def _candidate(
    result: Result,
    spec: GenerationSpec,
    backends: bk.Backends,
    tracer: Tracer,
    round_index: int,
    k: int,
    rendered: RenderedImage,
) -> Candidate:
    candidate = Candidate(
        index=k,
        round=round_index,
        seed=rendered.seed,
        revised_prompt=rendered.revised_prompt,
        request_id=rendered.request_id,
        cost_usd=rendered.cost_usd,
    )
    image = rendered.image
    if result.run_dir:
        path = Path(result.run_dir) / f"round_{round_index:02d}" / f"candidate_{k}.png"
        record = png_record(result, spec, rendered.seed)
        await asyncio.to_thread(save_png, image, path, record)
        candidate.path = str(path)
        tracer.emit("render", "render", f"round {round_index} candidate {k}", {"path": str(path)})
    return await judge_candidate(candidate, image, result.checklist, spec, backends.judges, tracer)


def png_record(result: Result, spec: GenerationSpec, seed: int | None) -> dict[str, Any]:
    """What a PNG says about how it was made."""
    return {
        "run_id": result.run_id,
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt,
        "seed": seed,
        "size": str(spec.size),
        "renderer": result.renderer,
        "planner": result.llm,
        "version": __version__,
    }


def _keep_final_image(result: Result) -> None:
    if result.best is None or not result.best.path or not result.run_dir:
        return
    final = Path(result.run_dir) / "final.png"
    shutil.copyfile(result.best.path, final)
    result.final_image = str(final)
