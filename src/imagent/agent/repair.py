"""REPAIR: act only on failed items, within a bounded number of rounds.

- An item whose expectation is missing from the prompt → rewrite the prompt to state it.
- An item the image fails while the prompt is right → new seeds (another composition).
No model call is spent here: the rewrite is deterministic, so repair rounds cost renders only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from imagent.agent import rules
from imagent.core.types import Candidate, ChecklistItem, GenerationSpec, TextBlock


@dataclass(frozen=True)
class RepairPlan:
    action: Literal["rewrite", "reseed"]
    reason: str
    spec: GenerationSpec


def failed_items(best: Candidate, checklist: list[ChecklistItem]) -> list[ChecklistItem]:
    failed = {v.item_id for v in best.verdicts if v.passed is False}
    return [item for item in checklist if item.id in failed]


def _missing_from_prompt(item: ChecklistItem, prompt: str) -> bool:
    return any(not re.search(p, prompt, re.IGNORECASE) for p in item.expect)


def plan_repair(
    best: Candidate, checklist: list[ChecklistItem], spec: GenerationSpec, round_index: int
) -> RepairPlan | None:
    """What to do next for the failed items of `best`, or None when nothing failed."""
    failed = failed_items(best, checklist)
    if not failed:
        return None
    unstated = [item for item in failed if _missing_from_prompt(item, spec.prompt)]
    seeds = [(s + 7919 * round_index) % 2**31 for s in spec.seeds]
    if unstated:
        lines = [f"Must satisfy: {item.question}" for item in unstated]
        quoted = [q for item in unstated for q in rules.quoted_text(item.question)]
        prompt = "\n".join([spec.prompt, *lines])
        known = {block.text for block in spec.text}
        text = spec.text + [TextBlock(text=q, role="body") for q in quoted if q not in known]
        reason = "prompt did not state: " + ", ".join(item.id for item in unstated)
        new_spec = spec.model_copy(update={"prompt": prompt, "text": text, "seeds": seeds})
        return RepairPlan("rewrite", reason, new_spec)
    reason = "image failed: " + ", ".join(item.id for item in failed)
    return RepairPlan("reseed", reason, spec.model_copy(update={"seeds": seeds}))
