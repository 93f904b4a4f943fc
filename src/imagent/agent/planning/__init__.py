"""PLAN: a request becomes a ContextPlan in a few passes over one typed reading.

1. The rules read the request (`reading`): subject, style, the text to show, how many
   images, and candidate gaps (computable phrases, lookups, memory phrases).
2. The model reads it, by its tier (`small`: two short calls; `capable`: one full plan).
3. The rules and the model are weighed (`gaps.weigh`): evidence decides, the trace says who.
4. The plan is assembled (`build`): text to show, items, details, one task per image; a
   picture of a fixed kind (a maze) gets what that kind needs (`kinds`).
"""

from __future__ import annotations

from datetime import date

from imagent.agent.planning.build import new_facts, planned_tasks, text_blocks
from imagent.agent.planning.capable import capable_plan
from imagent.agent.planning.gaps import rule_gaps, weigh
from imagent.agent.planning.kinds import with_structure
from imagent.agent.planning.model_reading import ModelReading
from imagent.agent.planning.reading import RequestReading, read_request
from imagent.agent.planning.small import small_plan
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM, Tier
from imagent.core.types import ChecklistItem, ContextPlan, ItemKind, Request

STEP = "plan"

__all__ = ["RequestReading", "make_plan", "read_request"]


async def make_plan(
    request: Request,
    llm: LLM | None,
    tracer: Tracer,
    *,
    today: date | None = None,
    tier: Tier | None = None,
) -> ContextPlan:
    """Read the request: what it wants, what it leaves out, and how to fill each gap."""
    today = today or date.today()
    reading = read_request(request.prompt, today)
    gaps = rule_gaps(reading)
    for gap in gaps:
        tracer.decision(STEP, f"rules: {gap.route} gap {gap.span!r}", gap_id=gap.id, by="rules")
    model = ModelReading()
    tier = tier or (llm.tier if llm is not None else None)
    if llm is not None:
        tracer.decision(STEP, f"planning with the {tier} tier ({llm.id})", by="agent")
        if tier == "capable":
            model = await capable_plan(reading, llm, tracer, today)
        else:
            model = await small_plan(reading, llm, tracer)
    gaps = weigh(reading, gaps, model.gaps, tracer, capable=tier == "capable")
    tasks = planned_tasks(reading, model)
    return ContextPlan(
        intent=request.prompt,
        subject=model.subject or reading.subject,
        style=model.style or reading.style,
        text=text_blocks(reading, gaps, model, tracer),
        gaps=gaps,
        items=new_facts(reading, model.items),
        details=with_structure(request.prompt, new_facts(reading, model.details), tracer),
        tasks=tasks,
        consistency=model.consistency if tasks else "",
        checklist=[
            ChecklistItem(id=f"plan{i}", question=question, kind=ItemKind(kind))
            for i, (question, kind) in enumerate(model.checklist, start=1)
        ],
        tier=tier or "rules",
        decided_by="llm+rules" if llm is not None else "rules",
    )
