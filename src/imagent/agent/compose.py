"""COMPOSE: a complete instruction for the chosen renderer, with a coverage guard.

Resolved values *replace* the phrases they stand for ("the result of 17 x 23" → "391"),
as SCOPE does, rather than being appended as clues. The guard then checks that every
resolved value is in the final prompt within the renderer's length limit, and re-composes
(facts first, brief shortened) when one is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from imagent.agent import rules
from imagent.agent.trace import Tracer
from imagent.backends.renderer.base import Renderer
from imagent.core.types import (
    ContextPlan,
    EvidenceSource,
    Fact,
    Gap,
    GapStatus,
    GenerationSpec,
    PlannedTask,
    Request,
    Size,
    TextBlock,
)
from imagent.prompts import load_prompt

STEP = "compose"
DEFAULT_SIZE = Size(width=1024, height=1024)


def resolved_facts(gaps: list[Gap]) -> list[Fact]:
    return [
        Fact(
            gap_id=g.id,
            span=g.span,
            value=g.resolution,
            source=g.evidence[0].source if g.evidence else EvidenceSource.REASONING,
            visual=g.visual,
        )
        for g in gaps
        if g.status is GapStatus.RESOLVED and g.resolution
    ]


def _substitute(text: str, facts: list[Fact]) -> str:
    """Text to show gets the value in place of the phrase: the image shows "391"."""
    for fact in facts:
        text = rules.replace_span(text, fact.span, fact.value)
    return text


def _drawable(blocks: list[TextBlock], gaps: list[Gap], tracer: Tracer) -> list[TextBlock]:
    """Text to show, without any block that would print a question nobody answered
    ("tomorrow's weather in Paris" with no search backend): no dangling phrase on the image."""
    open_spans = [g.span for g in gaps if g.status is not GapStatus.RESOLVED and g.span]
    kept = []
    for block in blocks:
        if any(rules.contains_span(block.text, span) for span in open_spans):
            tracer.decision(STEP, f"not drawing {block.text!r}: it asks what nobody answered")
            continue
        kept.append(block)
    return kept


def _with_values(blocks: list[TextBlock], facts: list[Fact], tracer: Tracer) -> list[TextBlock]:
    """The text to draw, values in place; a block that still only describes a value
    ("她的名字", with no name found for it) is not drawn as those words."""
    kept: list[TextBlock] = []
    for block in blocks:
        text = _substitute(block.text, facts)
        if rules.names_a_value(text):
            tracer.decision(STEP, f"not drawing {text!r}: it names a value nobody found")
            continue
        if any(k.text == text for k in kept):
            continue  # two phrases answered by the same words: drawn once
        kept.append(TextBlock(text=text, role=block.role))
    return kept


def annotate(text: str, facts: list[Fact]) -> str:
    """The request keeps every word; each value goes beside the phrase it answers:
    "a poster for tomorrow's weather in Paris (light rain, high of 14 C)"."""
    for fact in facts:
        found = rules.find_span(text, fact.span)
        if found is None:
            continue
        note = fact.value if not fact.visual else f"{fact.value}: {fact.visual}"
        if note.lower() in found.group(0).lower() or f"({note})".lower() in text.lower():
            continue  # the phrase says it already, or another gap's answer said the same
        text = f"{text[: found.end()]} ({note}){text[found.end() :]}"
    return text


@dataclass(frozen=True)
class TaskPart:
    """How one task of several is introduced in its prompt."""

    title: str  # "Panel 2 of 4"
    beat: str  # what this image shows
    consistency: str  # what every image keeps the same


def _instruction(
    brief: str, spec: GenerationSpec, facts_line: str, part: TaskPart | None = None
) -> str:
    template = load_prompt("instruction")
    texts = ", ".join(f'"{block.text}"' for block in spec.text)
    lines = template.fill(
        "instruction",
        task_line=template.fill("task_line", title=part.title, beat=part.beat) if part else "",
        brief=template.fill("whole_line", brief=brief) if part else brief,
        consistency_line=(
            template.fill("consistency_line", consistency=part.consistency)
            if part and part.consistency
            else ""
        ),
        items_line=template.fill("items_line", items=", ".join(spec.items)) if spec.items else "",
        details_line=(
            template.fill("details_line", details="; ".join(spec.details)) if spec.details else ""
        ),
        text_line=template.fill("text_line", texts=texts) if texts else "",
        style_line=f"Style: {spec.style}." if spec.style else "",
        facts_line=facts_line,
    )
    return "\n".join(line for line in lines.splitlines() if line.strip())


def _fit(
    brief: str, spec: GenerationSpec, facts_line: str, limit: int, part: TaskPart | None = None
) -> str:
    prompt = _instruction(brief, spec, facts_line, part)
    while len(prompt) > limit and len(brief) > 20:
        brief = brief[: max(20, len(brief) - (len(prompt) - limit) - 1)].rsplit(" ", 1)[0] + "…"
        prompt = _instruction(brief, spec, facts_line, part)
    return prompt[:limit]


def missing_facts(prompt: str, facts: list[Fact]) -> list[Fact]:
    return [f for f in facts if f.value.lower() not in prompt.lower()]


def compose_spec(
    request: Request,
    plan: ContextPlan,
    gaps: list[Gap],
    renderer: Renderer,
    *,
    seed: int,
    tracer: Tracer,
    task: PlannedTask | None = None,
    part: TaskPart | None = None,
) -> GenerationSpec:
    """The GenerationSpec for `renderer`; its `prompt` is the final instruction.

    For one task of several, `task` gives its own text and `part` how its prompt opens.
    """
    facts = resolved_facts(gaps)
    brief = annotate(request.prompt, facts)
    blocks = _drawable(task.text if task is not None else plan.text, gaps, tracer)
    spec = GenerationSpec(
        brief=brief,
        subject=plan.subject,
        style=plan.style,
        text=_with_values(blocks, facts, tracer),
        facts=facts,
        items=list(plan.items) if task is None else [],
        details=list(plan.details) if task is None else [],
        panels=1 if task is not None else plan.panels,
        size=renderer.fit_size(request.size or DEFAULT_SIZE),
        seeds=[(seed + i) % 2**31 for i in range(min(request.n, renderer.max_candidates))],
        reference_images=(
            [*request.images, *(g.reference for g in gaps if g.reference)]
            if renderer.supports_reference_images
            else []
        ),
        mask=request.mask if renderer.supports_mask else None,
    )
    limit = renderer.max_prompt_chars
    prompt = _fit(brief, spec, "", limit, part)
    missing = missing_facts(prompt, facts)
    if missing:
        tracer.decision(STEP, "coverage guard: re-composing", missing=[f.gap_id for f in missing])
        facts_line = "Facts: " + "; ".join(f"{f.span}: {f.value}" for f in missing) + "."
        prompt = _fit(brief, spec, facts_line, limit, part)
    still = missing_facts(prompt, facts)
    tracer.decision(
        STEP,
        "all resolved facts are in the prompt"
        if not still
        else "facts left out by the length limit",
        covered=[f.gap_id for f in facts if f not in still],
        missing=[f.gap_id for f in still],
    )
    if request.size and spec.size != request.size:
        tracer.warning(
            STEP, f"size {request.size} is not offered by {renderer.id}; using {spec.size}"
        )
    negative = "misspelled text, extra text, watermark" if spec.text else ""
    return spec.model_copy(
        update={
            "prompt": prompt,
            "negative_prompt": negative if renderer.supports_negative_prompt else "",
        }
    )
