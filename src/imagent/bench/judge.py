"""Judging a case's own checklist against what the agent (or the bare renderer) produced.

The agent never sees a case's checklist (its `expect` regexes are the answer key); the bench
judges it afterwards. Plan-only runs score only the items with `expect`, matched against the
final prompt. Full runs score every item: `expect` items on the prompt, text items also on
the image (OCR), and image-level items by whatever image judges are configured; an item no
judge can check is unverified, which is not a pass.
"""

from __future__ import annotations

import asyncio

from PIL import Image

from imagent.agent.judging import merge_verdicts
from imagent.backends.judge.base import Judge
from imagent.backends.judge.instruction import InstructionJudge
from imagent.core.errors import ImagentError
from imagent.core.types import ChecklistItem, GenerationSpec, Verdict


def scored_items(checklist: list[ChecklistItem], plan_only: bool) -> list[ChecklistItem]:
    """The items a run is scored on: only the prompt-checkable ones when planning only."""
    return [item for item in checklist if item.expect] if plan_only else list(checklist)


async def judge_items(
    items: list[ChecklistItem],
    final_prompt: str,
    image: Image.Image | None,
    judges: list[Judge],
) -> list[Verdict]:
    """One merged verdict per item, in order."""
    spec = GenerationSpec(brief=final_prompt, prompt=final_prompt, seeds=[])
    everyone = [InstructionJudge(), *(j for j in judges if not isinstance(j, InstructionJudge))]
    if image is None:
        everyone = [j for j in everyone if not j.needs_image]
    results = await asyncio.gather(*(_verdicts(j, items, image, spec) for j in everyone))
    by_item: dict[str, list[Verdict]] = {item.id: [] for item in items}
    for verdict in (v for verdicts in results for v in verdicts):
        by_item.setdefault(verdict.item_id, []).append(verdict)
    return [merge_verdicts(item, by_item[item.id]) for item in items]


async def _verdicts(
    judge: Judge, items: list[ChecklistItem], image: Image.Image | None, spec: GenerationSpec
) -> list[Verdict]:
    mine = [item for item in items if judge.applies_to(item)]
    if not mine:
        return []
    try:
        return await judge.judge(image if judge.needs_image else None, mine, spec)
    except ImagentError as exc:
        return [Verdict(item_id=i.id, passed=None, reason=str(exc), judge=judge.id) for i in mine]
