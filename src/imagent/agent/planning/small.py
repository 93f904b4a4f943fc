"""The small-model tier: short schemas, one question per call, rules around them.

Call 1 finds the gaps (`prompts/plan.md`); call 2 says what the picture must show that the
request only implies (`prompts/picture.md`), or, for a request of several images, one beat
per image with the look they share (`prompts/beats.md`, its length fixed by the schema).
A single picture of a fact to be looked up gets no call 2: it would guess that fact.
"""

from __future__ import annotations

import asyncio
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
    """Both calls; made at once when the picture's call does not wait on the gaps (an
    embedded model then decodes them side by side: `backends.llm.together`)."""
    model = ModelReading()
    if reading.images is not None or not rules.has_search_cue(reading.prompt):
        calls = [
            asyncio.ensure_future(_gaps(reading, llm, tracer, model)),
            asyncio.ensure_future(_picture_if_budget(reading, llm, tracer, model)),
        ]
        try:
            await asyncio.gather(*calls)
        except BaseException:
            for call in calls:  # one failed: the other's answer would not be used
                call.cancel()
            raise
    else:  # a lookup may make the picture's call pointless: it waits for the gaps
        await _gaps(reading, llm, tracer, model)
        await _picture_if_budget(reading, llm, tracer, model)
    return model


async def _gaps(reading: RequestReading, llm: LLM, tracer: Tracer, model: ModelReading) -> None:
    request = reading.prompt
    messages = load_prompt("plan").messages(request=request)
    gaps = await complete_structured(llm, messages, GapsOutput, tracer=tracer, step=STEP)
    instructions = text_of(messages[0]["content"])
    model.gaps = [
        ProposedGap(
            span=g.span,
            route=g.route,
            expression=await _own_program(g, request, instructions, llm, tracer),
        )
        for g in gaps.gaps
    ]


async def _picture_if_budget(
    reading: RequestReading, llm: LLM, tracer: Tracer, model: ModelReading
) -> None:
    try:
        await _picture(reading, llm, tracer, model)
    except BudgetExceededError as exc:  # the gaps matter more than the details
        tracer.warning(STEP, f"no call left for the picture's details: {exc}")


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


# an English request that may want Chinese or Japanese characters drawn ("the Chinese character
# for luck", "its name in Japanese")
_ASKS_FOR_CJK = re.compile(
    r"\b(?:chinese|japanese|korean|mandarin|cantonese|kanji|hanzi|calligraphy|characters?)\b",
    re.IGNORECASE,
)
# a comma between digits is a thousands separator ("1,000"), not a break between clauses
_CLAUSE_BREAK = re.compile(r"\s*(?:[，;；]|(?<!\d),|,(?!\d))\s*")


def without_repeats(answer: str) -> str:
    """`answer` without the loop a small model can fall into at its end: the same clause, or
    the same two or three, again and again until the length limit ("每个球员拿着一只羽毛球，每个
    球员拿着一只羽毛球，…，每个球员拿着一只"). When the last clauses say one to three clauses at
    least three times in a row (two and a half for two), the repeats go, with a last clause
    cut off mid-repeat. Repeats that are not at the end, or clauses of one word ("red,
    white, red, white"), stay."""
    text = answer.strip()
    clauses, breaks = _CLAUSE_BREAK.split(text), _CLAUSE_BREAK.findall(text)
    if clauses and not clauses[-1]:
        clauses = clauses[:-1]  # a break at the very end
    for period in (1, 2, 3):
        end = _loop_start(clauses, period)
        if end is not None:
            return clauses[0] + "".join(b + c for b, c in zip(breaks, clauses[1:end], strict=False))
    return text


def _loop_start(clauses: list[str], period: int) -> int | None:
    """How many clauses to keep when the tail repeats its last `period` clauses, else None."""
    body = clauses
    if (
        len(body) > period
        and body[-1] != body[-1 - period]
        and body[-1 - period].startswith(body[-1])
    ):
        body = body[:-1]  # cut off mid-repeat
    run = 0
    while run < len(body) - period and body[-1 - run] == body[-1 - run - period]:
        run += 1
    if run < max(2, 2 * period - 1) or not any(_several_words(c) for c in body[-period:]):
        return None
    return len(body) - run


def _several_words(clause: str) -> bool:
    return len(clause.split()) >= 2 or (rules.has_cjk(clause) and len(clause) >= 4)


def _own(answers: list[str], instructions: str, request: str, tracer: Tracer) -> list[str]:
    """The model's answers without those it copied from the instructions: their guidance (a
    small model asked about a board game may list "the primary colours" from it) or their
    examples' groups where the request does not speak of them (`copied`); then without
    answers in a script the request does not use, and without the loop at an answer's end."""

    def copied(answer: str) -> bool:
        return len(answer.split()) >= 2 and answer.lower() in instructions

    own = [a.strip() for a in answers if a.strip() and not copied(a.strip())]
    kept, dropped = uncopied(own, request)
    if dropped:
        tracer.decision(
            STEP,
            f"dropped {dropped!r}: copied from the prompt's examples; the request does not"
            " speak of them",
            by="rules",
        )
    return _unlooped(_in_request_script(kept, request, tracer), tracer)


def _in_request_script(answers: list[str], request: str, tracer: Tracer) -> list[str]:
    """Answers in Chinese to a request with none go: the prompt asks for the request's
    language, and a small model slips into its last example's."""
    if rules.has_cjk(request) or _ASKS_FOR_CJK.search(request):
        return answers
    foreign = [a for a in answers if rules.has_cjk(a)]
    if foreign:
        tracer.decision(
            STEP, f"dropped {foreign!r}: Chinese in answer to a request that has none", by="rules"
        )
    return [a for a in answers if not rules.has_cjk(a)]


def _unlooped(answers: list[str], tracer: Tracer) -> list[str]:
    unlooped = [without_repeats(a) for a in answers]
    for before, after in zip(answers, unlooped, strict=True):
        if before != after:
            tracer.decision(
                STEP, f"cut {before!r} to {after!r}: the model looped on its end", by="rules"
            )
    return unlooped
