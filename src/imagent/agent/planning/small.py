"""The small-model tier: short schemas, one question per call, rules around them.

Call 1 finds the gaps (`prompts/plan.md`); call 2 says what the picture must show that the
request only implies (`prompts/picture.md`), or, for a request of several images, one beat
per image with the look they share (`prompts/beats.md`, its length fixed by the schema).
A single picture of a fact to be looked up gets no call 2: it would guess that fact.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, Field, create_model

from imagent.agent import rules
from imagent.agent.planning.copied import copied_program, uncopied
from imagent.agent.planning.gaps import ProposedGap
from imagent.agent.planning.model_reading import ModelReading
from imagent.agent.planning.reading import RequestReading
from imagent.agent.programs import write_program
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM, text_of
from imagent.core.errors import BudgetExceededError, ImagentError
from imagent.prompts import load_prompt

STEP = "plan"


class PlannedGap(BaseModel):
    span: str = Field(max_length=80)
    route: Literal["reason", "knowledge", "search", "memory", "ask"]
    expression: str = Field(default="", max_length=80)


class GapsOutput(BaseModel):
    gaps: list[PlannedGap] = Field(default_factory=list, max_length=4)


Short = Annotated[str, Field(max_length=60)]  # bounded, so a small model cannot run on


class PictureOutput(BaseModel):
    items: list[Short] = Field(default_factory=list, max_length=16)
    details: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=5)


def beats_model(count: int) -> type[BaseModel]:
    """A schema with exactly `count` beats, so grammar-constrained decoding writes that many."""
    return create_model(
        "BeatsOutput",
        beats=(
            list[Annotated[str, Field(max_length=160)]],
            Field(min_length=count, max_length=count),
        ),
        shared=(str, Field(default="", max_length=200)),
    )


async def small_plan(reading: RequestReading, llm: LLM, tracer: Tracer) -> ModelReading:
    request = reading.prompt
    messages = load_prompt("plan").messages(request=request)
    gaps = await complete_structured(llm, messages, GapsOutput, tracer=tracer, step=STEP)
    instructions = text_of(messages[0]["content"])
    model = ModelReading(
        gaps=[
            ProposedGap(
                span=g.span,
                route=g.route,
                expression=await _own_program(g, request, instructions, llm, tracer),
            )
            for g in gaps.gaps
        ]
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
    looked_up = _looked_up(reading, model)
    if looked_up:
        tracer.decision(
            STEP,
            f"no call for implied details: the picture depends on {looked_up!r}, which is"
            " looked up; the model would guess it",
            by="rules",
        )
        return
    messages = load_prompt("picture").messages(request=request)
    picture = await complete_structured(
        llm, messages, PictureOutput, tracer=tracer, step=STEP, max_tokens=300
    )
    instructions = text_of(messages[0]["content"]).lower().split("examples:")[0]
    model.items = _own(picture.items, instructions, request, tracer)
    model.details = _own(picture.details, instructions, request, tracer)


async def _own_program(
    gap: PlannedGap, request: str, instructions: str, llm: LLM, tracer: Tracer
) -> str:
    """The gap's program; one copied from the prompt's examples for another phrase is
    written again by the reason prompt, for the phrase itself (one call, only then)."""
    if not gap.expression or not copied_program(gap.expression, gap.span, instructions):
        return gap.expression
    tracer.decision(
        STEP,
        f"the program {gap.expression!r} for {gap.span!r} is copied from the prompt's"
        " examples; asking for one for the phrase itself",
        by="rules",
    )
    try:
        return await write_program(llm, request, gap.span, tracer, STEP)
    except ImagentError as exc:  # the reason route asks again when the gap is grounded
        tracer.warning(STEP, f"no program for {gap.span!r}: {exc}")
        return ""


def _looked_up(reading: RequestReading, model: ModelReading) -> str:
    """The phrase of a lookup the request depends on ("yesterday's Glimmerball League match"),
    or "". What such a picture implies depends on the fact found, so a details call made
    before the lookup can only guess it ("Pelham Foxes won 3-2") and costs a model call."""
    if not rules.has_search_cue(reading.prompt):
        return ""
    return next(
        (
            g.span
            for g in model.gaps
            if g.route == "search" and rules.contains_span(reading.prompt, g.span)
        ),
        "",
    )


_CLAUSE_BREAK = re.compile(r"\s*[，,;；]\s*")


def without_repeats(answer: str) -> str:
    """`answer` without the loop a small model can fall into, one clause again and again
    until the length limit ("每个球员的手中拿着一只羽毛球，每个球员的手中拿着一只羽毛球，…拿着一只"): a
    clause of several words said three times or more shows the loop, and then every clause
    of several words is kept once and a last clause that only starts one (cut off) goes. A pattern of single words ("red, white, red, white") stays."""
    text = answer.strip()
    clauses = _CLAUSE_BREAK.split(text)
    if not any(clauses.count(c) >= 3 and _several_words(c) for c in clauses):
        return text
    looping = {c for c in clauses if clauses.count(c) >= 2 and _several_words(c)}
    breaks = _CLAUSE_BREAK.findall(text)
    last = clauses[-1]
    if any(c.startswith(last) and c != last for c in looping):
        clauses = clauses[:-1]
    kept: list[str] = []
    out = ""
    for at, clause in enumerate(clauses):
        if clause in looping and clause in kept:
            continue
        out += (breaks[at - 1] if kept else "") + clause
        kept.append(clause)
    return out


def _several_words(clause: str) -> bool:
    return len(clause.split()) >= 2 or (rules.has_cjk(clause) and len(clause) >= 4)


def _own(answers: list[str], instructions: str, request: str, tracer: Tracer) -> list[str]:
    """The model's answers without those it copied from the instructions: their guidance (a
    small model asked about a board game may list "the primary colours" from it) or their
    examples' groups where the request does not speak of them (`copied`)."""

    def copied(answer: str) -> bool:
        return len(answer.split()) >= 2 and answer.lower() in instructions

    own = [without_repeats(a) for a in answers if a.strip() and not copied(a.strip())]
    if not rules.has_cjk(request) and any(rules.has_cjk(a) for a in own):
        foreign = [a for a in own if rules.has_cjk(a)]
        own = [a for a in own if not rules.has_cjk(a)]
        tracer.decision(
            STEP,
            f"dropped {foreign!r}: Chinese in answer to a request that has none (the prompt"
            " asks for the request's language; a small model slips into the examples' one)",
            by="rules",
        )
    kept, dropped = uncopied(own, request)
    if dropped:
        tracer.decision(
            STEP,
            f"dropped {dropped!r}: copied from the prompt's examples; the request does not"
            " speak of them",
            by="rules",
        )
    return kept
