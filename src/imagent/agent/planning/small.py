"""The small-model tier: short schemas, one question per call, rules around them.

Call 1 finds the gaps (`prompts/plan.md`); call 2 says what the picture must show that the
request only implies (`prompts/picture.md`), or, for a request of several images, one beat
per image with the look they share (`prompts/beats.md`, its length fixed by the schema).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model

from imagent.agent.planning.gaps import ProposedGap
from imagent.agent.planning.model_reading import ModelReading
from imagent.agent.planning.reading import RequestReading
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.core.errors import BudgetExceededError
from imagent.prompts import load_prompt

STEP = "plan"


class PlannedGap(BaseModel):
    span: str = Field(max_length=80)
    route: Literal["reason", "knowledge", "search", "memory", "ask"]
    expression: str = Field(default="", max_length=80)


class GapsOutput(BaseModel):
    gaps: list[PlannedGap] = Field(default_factory=list, max_length=4)


class PictureOutput(BaseModel):
    items: list[str] = Field(default_factory=list, max_length=16)
    details: list[str] = Field(default_factory=list, max_length=5)


def beats_model(count: int) -> type[BaseModel]:
    """A schema with exactly `count` beats, so grammar-constrained decoding writes that many."""
    return create_model(
        "BeatsOutput",
        beats=(list[str], Field(min_length=count, max_length=count)),
        shared=(str, Field(default="", max_length=200)),
    )


async def small_plan(reading: RequestReading, llm: LLM, tracer: Tracer) -> ModelReading:
    request = reading.prompt
    gaps = await complete_structured(
        llm, load_prompt("plan").messages(request=request), GapsOutput, tracer=tracer, step=STEP
    )
    model = ModelReading(
        gaps=[ProposedGap(span=g.span, route=g.route, expression=g.expression) for g in gaps.gaps]
    )
    try:
        await _picture(reading, llm, tracer, model)
    except BudgetExceededError as exc:  # the gaps matter more than the details
        tracer.warning(STEP, f"no call left for the picture's details: {exc}")
    return model


async def _picture(reading: RequestReading, llm: LLM, tracer: Tracer, model: ModelReading) -> None:
    request = reading.prompt
    if reading.images is not None:
        count, noun = reading.images.count, reading.images.noun
        messages = load_prompt("beats").messages(request=request, count=str(count), noun=noun)
        beats = await complete_structured(
            llm, messages, beats_model(count), tracer=tracer, step=STEP, max_tokens=60 * count + 80
        )
        model.beats = [str(b).strip() for b in getattr(beats, "beats", [])]
        model.consistency = str(getattr(beats, "shared", "")).strip()
        return
    picture = await complete_structured(
        llm,
        load_prompt("picture").messages(request=request),
        PictureOutput,
        tracer=tracer,
        step=STEP,
        max_tokens=300,
    )
    model.items = [i.strip() for i in picture.items if i.strip()]
    model.details = [d.strip() for d in picture.details if d.strip()]
