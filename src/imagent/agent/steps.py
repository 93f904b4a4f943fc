"""The steps of a run: load, plan, ground, compose, render, remember.

Each step reads and writes the run's `Result` through a `RunContext`; the agent saves the
Result after every step, so a run that stops keeps what it did and resumes from the first
step not done (and, within `render`, from the first task not done).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from imagent.agent import backends as bk
from imagent.agent.graph import render_graph
from imagent.agent.ground import GroundContext, answers_knowledge, ground_gaps
from imagent.agent.inputs import CheckedImage, check_inputs
from imagent.agent.planning import make_plan
from imagent.agent.planning.build import backed_facts
from imagent.agent.probe import lookup_probe, speaks_of_the_named
from imagent.agent.recall import memory_probes, outranked
from imagent.agent.tasks import build_tasks, page_task
from imagent.agent.trace import Tracer
from imagent.core.errors import BudgetExceededError, StructuredOutputError
from imagent.core.types import Gap, GapRoute, GapStatus, Result, RunStatus
from imagent.memory.base import MemoryEntry
from imagent.runs.store import RunStore
from imagent.settings import Settings


@dataclass
class RunContext:
    """What every step of one run works with."""

    result: Result
    backends: bk.Backends
    tracer: Tracer
    settings: Settings
    today: date
    store: RunStore | None = None  # None for a plan that is not saved
    inputs: list[CheckedImage] | None = None  # input images the pre-flight checked

    def checkpoint(self) -> None:
        """Save the Result now (within a step, e.g. after each render round)."""
        if self.store is not None and self.result.run_dir:
            self.store.save(self.result)

    def warn(self, step: str, message: str) -> None:
        """A warning the user sees: in the trace, the CLI and `Result.warnings`."""
        self.tracer.warning(step, message)
        if message not in self.result.warnings:
            self.result.warnings.append(message)


async def load(ctx: RunContext) -> None:
    checked = ctx.inputs
    if checked is None:
        checked = await check_inputs(ctx.result.request, ctx.settings)
    for item in checked:
        image = item.image
        ctx.tracer.decision("load", f"{item.role} {image.label} ({image.width}x{image.height})")
    renderer = ctx.backends.renderer
    if ctx.result.request.images and not renderer.supports_reference_images:
        ctx.warn("load", f"{renderer.id} does not use reference images; they are ignored")


async def plan(ctx: RunContext) -> None:
    result, tracer = ctx.result, ctx.tracer
    tier = None if ctx.settings.planner_tier == "auto" else ctx.settings.planner_tier
    try:
        result.plan = await make_plan(
            result.request, ctx.backends.llm, tracer, today=ctx.today, tier=tier
        )
    except (StructuredOutputError, BudgetExceededError) as exc:
        tracer.warning("plan", f"planner answer unusable ({exc}); planning with rules")
        result.plan = await make_plan(result.request, None, tracer, today=ctx.today)
    result.gaps = list(result.plan.gaps)


async def ground(ctx: RunContext) -> None:
    result = ctx.result
    grounding = GroundContext(
        request=result.request,
        llm=ctx.backends.llm,
        search=ctx.backends.search,
        memory=ctx.backends.memory,
        tracer=ctx.tracer,
        today=ctx.today,
        settings=ctx.settings,
        folder=result.run_dir,
        knowledge=answers_knowledge(ctx.settings, result.plan.tier if result.plan else "rules"),
        shown=[block.text for block in result.plan.text] if result.plan else [],
    )
    probe = None
    if grounding.search is not None and result.request.options.search:
        probe = lookup_probe(result.request.prompt, result.gaps)
    probed = [probe] if probe else []
    recalls: list[Gap] = []
    if grounding.memory is not None:
        recalls = await memory_probes(result.request, [*result.gaps, *probed], grounding.memory)
    grounded = await ground_gaps([*result.gaps, *recalls, *probed], grounding)
    if probe is not None:
        found = grounded.pop()
        cited = [e.snippet.rstrip(" .。") for g in grounded for e in g.evidence]
        said = found.evidence[0].snippet.rstrip(" .。") if found.evidence else ""
        if said and any(said in c or c in said for c in cited if c):
            ctx.tracer.decision(
                "ground", "looked the request up; another gap already cites what it found"
            )
        elif speaks_of_the_named(found):
            ctx.tracer.decision(
                "ground",
                f"nothing was routed to search, but the request names something that changes:"
                f" looked it up and kept {found.resolution!r}",
                gap_id=found.id,
                by="evidence",
            )
            grounded.append(found)
        else:
            ctx.tracer.decision(
                "ground", "looked the request up; no source spoke of what it names", by="evidence"
            )
    grounded = _kept_recalls(grounded, {g.id for g in recalls}, ctx)
    result.gaps = grounded
    _drop_guesses(ctx)
    for warning in grounding.warnings:
        ctx.warn("ground", warning)
    for gap in result.gaps:
        if gap.status is GapStatus.UNRESOLVED:
            ctx.warn("ground", _unresolved_warning(gap.route, gap.span, ctx))
    asked = [g for g in result.gaps if g.status is GapStatus.ASKED]
    if asked:
        result.questions = [g.question for g in asked]
        result.status = RunStatus.ASKED


def _kept_recalls(grounded: list[Gap], probes: set[str], ctx: RunContext) -> list[Gap]:
    """A memory probe is kept when memory answered it, else dropped without a warning; the
    gaps of other routes it answers instead are dropped (`recall.outranked`)."""
    kept = []
    dropped: set[str] = set()
    for gap in grounded:
        if gap.id in probes:
            if gap.status is not GapStatus.RESOLVED:
                continue
            ctx.tracer.decision(
                "ground",
                f"your history says what {gap.span!r} is (an earlier request made it, or you"
                f" said): recalled {gap.resolution!r}",
                gap_id=gap.id,
                by="evidence",
            )
            for other in outranked(gap, grounded):
                dropped.add(other.id)
                ctx.tracer.decision(
                    "ground",
                    f"dropped the {other.route.value} gap {other.span!r}: your history says"
                    f" what {gap.span!r} in it is",
                    gap_id=other.id,
                    by="evidence",
                )
        kept.append(gap)
    return [g for g in kept if g.id not in dropped]


def _drop_guesses(ctx: RunContext) -> None:
    """The plan's items and details without numbers that guess at a grounded value."""
    result = ctx.result
    if result.plan is None:
        return
    plan, prompt = result.plan, result.request.prompt
    result.plan = plan.model_copy(
        update={
            "details": backed_facts(plan.details, prompt, result.gaps, ctx.tracer),
            "items": backed_facts(plan.items, prompt, result.gaps, ctx.tracer),
        }
    )


def _unresolved_warning(route: GapRoute, span: str, ctx: RunContext) -> str:
    if route in (GapRoute.SEARCH, GapRoute.IMAGE_SEARCH) and ctx.backends.search is None:
        return (
            f"{span!r} needs a lookup and no search backend is configured "
            "(set IMAGENT_SEARCH or pass --search); it is left as written"
        )
    return f"could not resolve {span!r} ({route}); it is left as written"


async def compose(ctx: RunContext) -> None:
    result = ctx.result
    assert result.plan is not None
    request = result.request
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    renderer = ctx.backends.renderer
    result.tasks = build_tasks(request, result.plan, result.gaps, renderer, seed, ctx.tracer)
    if len(result.tasks) > 1:
        result.page = page_task(request, result.plan, result.tasks)
    result.final_prompt = "\n".join(task.final_prompt for task in result.tasks)
    if not renderer.photographic and _wants_a_photograph(request.prompt):
        ctx.warn(
            "compose",
            f"{renderer.id} composes layouts and type; it cannot draw a photograph or a "
            "realistic scene. Pass --renderer with an image model for that",
        )


def _wants_a_photograph(prompt: str) -> bool:
    lowered = prompt.lower()
    return any(
        cue in lowered
        for cue in ("photo", "photograph", "realistic", "photoreal", "照片", "写实", "摄影")
    )


async def render(ctx: RunContext) -> None:
    await render_graph(ctx)


async def remember(ctx: RunContext) -> None:
    memory = ctx.backends.memory
    if memory is None:
        return
    result, request = ctx.result, ctx.result.request
    common = {"user_id": request.user_id, "session_id": request.session_id}
    await memory.remember(MemoryEntry(content=request.prompt, run_id=result.run_id, **common))
    await memory.remember(
        MemoryEntry(
            role="agent",
            kind="choice",
            content=result.final_prompt,
            run_id=result.run_id,
            **common,
        )
    )


STEP_HANDLERS: dict[str, Callable[[RunContext], Awaitable[None]]] = {
    "load": load,
    "plan": plan,
    "ground": ground,
    "compose": compose,
    "render": render,
    "remember": remember,
}
