"""RENDER → JUDGE → REPAIR rounds for one task, keeping the best candidate across rounds.

Each round renders the task's current spec (the renderer retries its own transient
failures), saves every candidate with its metadata, judges it against the task's
checklist, then either stops (all passed, or the round budget is spent) or applies the
repair chosen for the failed items. The Result is saved after every round.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imagent import __version__
from imagent.agent.judging import best_of, judge_candidate
from imagent.agent.repair import plan_repair
from imagent.backends.renderer.base import RenderedImage
from imagent.core.events import Rendered
from imagent.core.types import Candidate, GenerationSpec, Result, Round, Task
from imagent.runs.png import save_png

if TYPE_CHECKING:
    from imagent.agent.steps import RunContext


def task_folder(result: Result, task: Task) -> Path | None:
    """Where a task's files go: the run folder itself for a single image (as it always
    was), else `tasks/<task id>/`."""
    if not result.run_dir:
        return None
    root = Path(result.run_dir)
    return root if len(result.tasks) <= 1 else root / "tasks" / task.id


async def render_rounds(ctx: RunContext, task: Task) -> None:
    """Run rounds until the task's checklist passes or `max_rounds` repairs are spent."""
    assert task.spec is not None
    result, tracer = ctx.result, ctx.tracer
    while True:
        index = len(task.rounds)
        previous = task.rounds[-1] if task.rounds else None
        spec = task.spec
        rendered = await ctx.backends.renderer.render(spec)
        for one in rendered:
            tracer.usage.add_render(one.cost_usd)
        candidates = await asyncio.gather(
            *(_candidate(ctx, task, spec, index, k, one) for k, one in enumerate(rendered))
        )
        task.rounds.append(
            Round(
                index=index,
                action=previous.repair if previous and previous.repair else "initial",
                reason=previous.repair_reason if previous else "",
                prompt=spec.prompt,
                candidates=list(candidates),
            )
        )
        task.best = best_of([c for c in (task.best, *candidates) if c is not None])
        task.final_prompt = task.rounds[task.best.round].prompt
        repair = plan_repair(task.best, task.checklist, spec, index + 1)
        if repair is None or index >= result.request.options.max_rounds:
            break
        tracer.decision("repair", f"{repair.action}: {repair.reason}", by="agent", task_id=task.id)
        task.rounds[-1].repair, task.rounds[-1].repair_reason = repair.action, repair.reason
        task.spec = repair.spec
        ctx.checkpoint()
    _keep_final_image(result, task)


async def _candidate(
    ctx: RunContext,
    task: Task,
    spec: GenerationSpec,
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
    folder = task_folder(ctx.result, task)
    if folder is not None:
        path = folder / f"round_{round_index:02d}" / f"candidate_{k}.png"
        record = png_record(ctx.result, spec, rendered.seed, task)
        await asyncio.to_thread(
            save_png, rendered.image, path, record, private=ctx.settings.private_outputs
        )
        candidate.path = str(path)
    ctx.tracer.emit(
        "render",
        Rendered(
            round=round_index,
            candidate=k,
            seed=rendered.seed,
            path=candidate.path,
            cost_usd=rendered.cost_usd,
        ),
        f"round {round_index} candidate {k}",
        task_id=task.id,
    )
    return await judge_candidate(
        candidate, rendered.image, task.checklist, spec, ctx.backends.judges, ctx.tracer, task.id
    )


def png_record(
    result: Result, spec: GenerationSpec, seed: int | None, task: Task | None = None
) -> dict[str, Any]:
    """What a PNG says about how it was made."""
    return {
        "run_id": result.run_id,
        "task_id": task.id if task and len(result.tasks) > 1 else None,
        "prompt": spec.prompt,
        "negative_prompt": spec.negative_prompt,
        "seed": seed,
        "size": str(spec.size),
        "renderer": result.renderer,
        "planner": result.llm,
        "version": __version__,
    }


def _keep_final_image(result: Result, task: Task) -> None:
    folder = task_folder(result, task)
    if task.best is None or not task.best.path or folder is None:
        return
    final = folder / "final.png"
    shutil.copyfile(task.best.path, final)
    task.final_image = str(final)
