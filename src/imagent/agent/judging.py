"""JUDGE: every judge gives verdicts on the items it applies to; verdicts merge per item."""

from __future__ import annotations

import asyncio

from PIL import Image

from imagent.agent.trace import Tracer
from imagent.backends.judge.base import Judge
from imagent.core.errors import ImagentError
from imagent.core.events import Judged
from imagent.core.types import Candidate, ChecklistItem, GenerationSpec, Verdict

STEP = "judge"


def merge_verdicts(item: ChecklistItem, verdicts: list[Verdict]) -> Verdict:
    """An item passes when every definite verdict passes; unknown when none is definite."""
    definite = [v for v in verdicts if v.passed is not None]
    if not definite:
        reason = "; ".join(v.reason for v in verdicts if v.reason) or "no judge could tell"
        return Verdict(item_id=item.id, passed=None, reason=reason, judge="none")
    failed = [v for v in definite if not v.passed]
    chosen = failed or definite
    return Verdict(
        item_id=item.id,
        passed=not failed,
        reason="; ".join(f"{v.judge}: {v.reason}" for v in chosen),
        judge="+".join(v.judge for v in chosen),
    )


async def _one_judge(
    judge: Judge,
    image: Image.Image,
    items: list[ChecklistItem],
    spec: GenerationSpec,
    tracer: Tracer,
) -> list[Verdict]:
    mine = [item for item in items if judge.applies_to(item)]
    if not mine:
        return []
    try:
        return await judge.judge(image if judge.needs_image else None, mine, spec)
    except ImagentError as exc:
        tracer.warning(STEP, f"judge {judge.id} failed: {exc}")
        return [Verdict(item_id=i.id, passed=None, reason=str(exc), judge=judge.id) for i in mine]


async def judge_candidate(
    candidate: Candidate,
    image: Image.Image,
    items: list[ChecklistItem],
    spec: GenerationSpec,
    judges: list[Judge],
    tracer: Tracer,
    task_id: str | None = None,
) -> Candidate:
    """The candidate with merged verdicts and its score (share of items passed)."""
    results = await asyncio.gather(*(_one_judge(j, image, items, spec, tracer) for j in judges))
    by_item: dict[str, list[Verdict]] = {item.id: [] for item in items}
    for verdict in (v for verdicts in results for v in verdicts):
        by_item.setdefault(verdict.item_id, []).append(verdict)
    merged = [merge_verdicts(item, by_item[item.id]) for item in items]
    passed = sum(v.passed is True for v in merged)
    score = passed / len(items) if items else 1.0
    payload = Judged(
        round=candidate.round, candidate=candidate.index, score=round(score, 4), verdicts=merged
    )
    message = f"candidate {candidate.index}: {passed}/{len(items)} passed"
    tracer.emit(STEP, payload, message, task_id=task_id)
    return candidate.model_copy(update={"verdicts": merged, "score": round(score, 4)})


def best_of(candidates: list[Candidate]) -> Candidate:
    """Highest score; fewer definite failures breaks ties; then the earlier candidate."""
    return max(
        candidates,
        key=lambda c: (c.score, -sum(v.passed is False for v in c.verdicts), -c.index),
    )
