"""COMPOSE: a complete instruction for the chosen renderer, with a coverage guard.

Resolved values *replace* the phrases they stand for ("the result of 17 x 23" → "391"),
as SCOPE does, rather than being appended as clues. The guard then checks that every
resolved value is in the final prompt within the renderer's length limit, and re-composes
(facts first, brief shortened) when one is missing.
"""

from __future__ import annotations

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
        )
        for g in gaps
        if g.status is GapStatus.RESOLVED and g.resolution
    ]


def _substitute(text: str, facts: list[Fact]) -> str:
    for fact in facts:
        text = rules.replace_span(text, fact.span, fact.value)
    return text


def _instruction(brief: str, spec: GenerationSpec, facts_line: str) -> str:
    template = load_prompt("instruction")
    texts = ", ".join(f'"{block.text}"' for block in spec.text)
    lines = template.fill(
        "instruction",
        brief=brief,
        text_line=template.fill("text_line", texts=texts) if texts else "",
        style_line=f"Style: {spec.style}." if spec.style else "",
        facts_line=facts_line,
    )
    return "\n".join(line for line in lines.splitlines() if line.strip())


def _fit(brief: str, spec: GenerationSpec, facts_line: str, limit: int) -> str:
    prompt = _instruction(brief, spec, facts_line)
    while len(prompt) > limit and len(brief) > 20:
        brief = brief[: max(20, len(brief) - (len(prompt) - limit) - 1)].rsplit(" ", 1)[0] + "…"
        prompt = _instruction(brief, spec, facts_line)
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
) -> GenerationSpec:
    """The GenerationSpec for `renderer`; its `prompt` is the final instruction."""
    facts = resolved_facts(gaps)
    brief = _substitute(request.prompt, facts)
    spec = GenerationSpec(
        brief=brief,
        subject=_substitute(plan.subject, facts),
        style=plan.style,
        text=[TextBlock(text=_substitute(b.text, facts), role=b.role) for b in plan.text],
        facts=facts,
        panels=plan.panels,
        size=renderer.fit_size(request.size or DEFAULT_SIZE),
        seeds=[(seed + i) % 2**31 for i in range(min(request.n, renderer.max_candidates))],
        reference_images=list(request.images) if renderer.supports_reference_images else [],
        mask=request.mask if renderer.supports_mask else None,
    )
    limit = renderer.max_prompt_chars
    prompt = _fit(brief, spec, "", limit)
    missing = missing_facts(prompt, facts)
    if missing:
        tracer.decision(STEP, "coverage guard: re-composing", missing=[f.gap_id for f in missing])
        facts_line = "Facts: " + "; ".join(f"{f.span}: {f.value}" for f in missing) + "."
        prompt = _fit(brief, spec, facts_line, limit)
    still = missing_facts(prompt, facts)
    tracer.decision(
        STEP,
        "all resolved facts are in the prompt"
        if not still
        else "facts left out by the length limit",
        covered=[f.gap_id for f in facts if f not in still],
        missing=[f.gap_id for f in still],
        chars=len(prompt),
        limit=limit,
    )
    if request.size and spec.size != request.size:
        tracer.emit(
            STEP,
            "warning",
            f"size {request.size} is not offered by {renderer.id}; using {spec.size}",
        )
    negative = "misspelled text, extra text, watermark" if spec.text else ""
    return spec.model_copy(
        update={
            "prompt": prompt,
            "negative_prompt": negative if renderer.supports_negative_prompt else "",
        }
    )
