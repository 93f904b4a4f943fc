"""The capable tier: a hosted or larger model writes the whole plan in one call
(`prompts/plan_full.md`): gaps with routes and what each needs, subject, style, exact text,
enumerated items, implied details, each panel's beat, the shared look and checklist items.
The rules still weigh every gap it proposes (see `gaps.weigh`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from imagent.agent.planning.gaps import ProposedGap
from imagent.agent.planning.model_reading import ModelReading
from imagent.agent.planning.reading import RequestReading
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.prompts import load_prompt

STEP = "plan"


class FullGap(BaseModel):
    span: str = Field(max_length=120)
    route: Literal["reason", "knowledge", "search", "memory", "ask"]
    expression: str = Field(default="", max_length=120)
    answer: str = Field(default="", max_length=200)
    why: str = Field(default="", max_length=200)
    look: str = Field(default="", max_length=200)
    queries: list[str] = Field(default_factory=list, max_length=3)


class FullPanel(BaseModel):
    beat: str = Field(max_length=300)
    text: list[str] = Field(default_factory=list, max_length=6)


class FullItem(BaseModel):
    question: str = Field(max_length=200)
    kind: Literal["content", "text", "count", "style", "layout", "fact", "memory"] = "content"


class FullPlan(BaseModel):
    subject: str = Field(default="", max_length=120)
    style: str = Field(default="", max_length=120)
    text: list[str] = Field(default_factory=list, max_length=16)
    gaps: list[FullGap] = Field(default_factory=list, max_length=4)
    items: list[str] = Field(default_factory=list, max_length=24)
    details: list[str] = Field(default_factory=list, max_length=6)
    panels: list[FullPanel] = Field(default_factory=list, max_length=12)
    shared: str = Field(default="", max_length=300)
    checklist: list[FullItem] = Field(default_factory=list, max_length=8)


async def capable_plan(
    reading: RequestReading, llm: LLM, tracer: Tracer, today: date
) -> ModelReading:
    messages = load_prompt("plan_full").messages(request=reading.prompt, today=today.isoformat())
    plan = await complete_structured(
        llm, messages, FullPlan, tracer=tracer, step=STEP, max_tokens=1500
    )
    return ModelReading(
        gaps=[
            ProposedGap(
                span=g.span,
                route=g.route,
                expression=g.expression,
                answer="" if g.answer.lower() == "unknown" else g.answer,
                why=g.why,
                visual=g.look,
                queries=list(g.queries),
            )
            for g in plan.gaps
        ],
        subject=plan.subject,
        style=plan.style,
        text=list(plan.text),
        items=list(plan.items),
        details=list(plan.details),
        beats=[p.beat for p in plan.panels],
        beat_texts=[list(p.text) for p in plan.panels],
        consistency=plan.shared,
        checklist=[(c.question, c.kind) for c in plan.checklist],
    )
