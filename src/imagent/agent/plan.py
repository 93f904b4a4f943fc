"""PLAN: one LLM call (or none) turns a request into a ContextPlan.

The model proposes; rules check. A gap survives only if its span is really in the request
and its route is justified (a number to compute, a lookup cue, a first-person cue). "No gap"
is the default. Every pruning is a trace decision, so a reader sees who decided what.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from imagent.agent import rules
from imagent.agent.evaluate import ExpressionError, evaluate
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.core.types import ContextPlan, Gap, GapRoute, Request, TextBlock
from imagent.prompts import load_prompt

MAX_GAPS = 4
STEP = "plan"


class PlannedGap(BaseModel):
    span: str = Field(max_length=60)
    route: Literal["reason", "search", "memory", "ask"]
    expression: str = Field(default="", max_length=60)


class PlannerOutput(BaseModel):
    """What the planner model writes: gaps only. Small models route gaps reliably only when
    asked for nothing else (benchmarks/models); subject, style and text come from rules."""

    gaps: list[PlannedGap] = Field(default_factory=list, max_length=MAX_GAPS)


async def make_plan(
    request: Request, llm: LLM | None, tracer: Tracer, *, today: date | None = None
) -> ContextPlan:
    """Read the request: subject, style, text to show, and the gaps with their routes."""
    today = today or date.today()
    prompt = request.prompt
    found = rules.computable_gaps(prompt, current_year=today.year)
    gaps = [_rule_gap(i, g) for i, g in enumerate(found, start=1)]
    for route, spans in (
        (GapRoute.SEARCH, rules.search_spans(prompt)),
        (GapRoute.MEMORY, rules.memory_spans(prompt)),
    ):
        gaps += [_phrase_gap(len(gaps) + i, route, span) for i, span in enumerate(spans, 1)]
    for gap in gaps:
        tracer.decision(STEP, f"rules: {gap.route} gap {gap.span!r}", gap_id=gap.id, by="rules")
    output = PlannerOutput()
    if llm is not None:
        messages = load_prompt("plan").messages(request=prompt)
        output = await complete_structured(llm, messages, PlannerOutput, tracer=tracer, step=STEP)
    gaps += _accepted_model_gaps(prompt, output.gaps, gaps, tracer)
    text = _text_blocks(prompt, gaps)
    return ContextPlan(
        intent=prompt,
        subject=_subject(prompt, gaps),
        style=_style(prompt),
        text=text,
        gaps=gaps[:MAX_GAPS],
        panels=_panels(prompt),
        decided_by="llm+rules" if llm is not None else "rules",
    )


def _rule_gap(index: int, found: rules.RuleGap) -> Gap:
    return Gap(
        id=f"g{index}",
        question=found.question,
        route=GapRoute.REASON,
        span=found.span,
        expression=found.expression,
        unit="$" if found.money else "",
        decided_by="rules",
    )


def _phrase_gap(index: int, route: GapRoute, span: str) -> Gap:
    question = _question(route, span)
    return Gap(id=f"g{index}", question=question, route=route, span=span, decided_by="rules")


def _question(route: GapRoute, span: str) -> str:
    if route in (GapRoute.MEMORY, GapRoute.ASK):
        return f"What do you mean by {span!r}?"
    return f"What is {span}?"


def _accepted_model_gaps(
    prompt: str, proposed: list[PlannedGap], taken: list[Gap], tracer: Tracer
) -> list[Gap]:
    accepted: list[Gap] = []
    for planned in proposed:
        reason = _rejection(prompt, planned, [*taken, *accepted])
        if reason:
            tracer.decision(
                STEP, f"pruned {planned.route} gap {planned.span!r}: {reason}", by="rules"
            )
            continue
        span = rules.widen_span(prompt, planned.span.strip())
        gap = Gap(
            id=f"g{len(taken) + len(accepted) + 1}",
            question=_question(GapRoute(planned.route), span),
            route=GapRoute(planned.route),
            span=span,
            expression=planned.expression or None,
            decided_by="llm",
        )
        tracer.decision(STEP, f"llm: {gap.route} gap {gap.span!r}", gap_id=gap.id, by="llm")
        accepted.append(gap)
    return accepted


def _rejection(prompt: str, planned: PlannedGap, existing: list[Gap]) -> str | None:
    """Why a proposed gap is dropped, or None to keep it."""
    span = planned.span.strip()
    if not rules.contains_span(prompt, span):
        return "its span is not in the request"
    lowered = span.lower()
    for gap in existing:
        if lowered in gap.span.lower() or gap.span.lower() in lowered:
            return f"already covered by gap {gap.id}"
    if planned.route == "reason":
        if not re.search(r"\d", span):
            return "nothing in it to compute"
        try:
            evaluate(planned.expression)
        except ExpressionError:
            return None  # the reason step will write a program for it
    if planned.route == "search" and not rules.has_search_cue(prompt):
        return "the request has no cue that a lookup is needed"
    if planned.route in ("memory", "ask") and not rules.has_memory_cue(span):
        return "it does not refer to the user"
    return None


def _text_blocks(prompt: str, gaps: list[Gap]) -> list[TextBlock]:
    """Quoted text, and the gap phrases the request asks the image to show."""
    texts = rules.quoted_text(prompt)
    for span in rules.shown_spans(prompt, [gap.span for gap in gaps]):
        if not any(span.lower() in t.lower() or t.lower() in span.lower() for t in texts):
            texts.append(span)
    return [TextBlock(text=t, role="headline" if i == 0 else "body") for i, t in enumerate(texts)]


def _subject(prompt: str, gaps: list[Gap]) -> str:
    """The request's opening phrase ("A chalkboard"), without gap phrases."""
    head = _SUBJECT_END.split(prompt, maxsplit=1)[0]
    for gap in gaps:
        head = rules.replace_span(head, gap.span, "")
    words = re.sub(r"\s+", " ", head).strip(" ,.;:").split(" ")
    return " ".join(words[:12])


_SUBJECT_END = re.compile(
    r"[,;:.]|\b(?:showing|displaying|that|which|with|saying|reading|where|written|to\s+show)\b",
    re.IGNORECASE,
)


def _style(prompt: str) -> str:
    """Style words the request names: media, moods and palettes ("watercolor", "neon")."""
    found = [m.group(0).lower() for m in _STYLE_WORDS.finditer(prompt)]
    return ", ".join(dict.fromkeys(found))


_STYLE_WORDS = re.compile(
    r"\b(?:watercolou?r|oil painting|oil|acrylic|pencil|charcoal|ink|sketch|pixel art|3d render"
    r"|photo(?:graph|realistic)?|cinematic|anime|manga|comic|cartoon|flat illustration|vector"
    r"|minimalist|minimal|retro|vintage|art deco|cyberpunk|steampunk|neon|pastel|noir"
    r"|chalkboard|whiteboard|poster|isometric|low poly|ukiyo-e|impressionist|surreal)\b",
    re.IGNORECASE,
)
_NOT_STYLE = frozenset(
    [
        "large",
        "larger",
        "big",
        "bigger",
        "huge",
        "small",
        "smaller",
        "tiny",
        "written",
        "text",
        "none",
    ]
)
_PANEL_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "nine": 9}


def _panels(prompt: str) -> int:
    match = re.search(
        r"\b(\d{1,2}|two|three|four|five|six|eight|nine)[\s-]+(?:panel|frame|part)s?\b",
        prompt,
        re.I,
    )
    if not match:
        return 1
    raw = match[1].lower()
    return max(1, min(12, int(raw) if raw.isdigit() else _PANEL_WORDS[raw]))
