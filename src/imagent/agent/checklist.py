"""The checklist a result is judged against: derived from the plan, plus the request's own items."""

from __future__ import annotations

import re

from imagent.agent import rules
from imagent.core.types import (
    ChecklistItem,
    ContextPlan,
    GenerationSpec,
    ItemKind,
    PlannedTask,
    Request,
)


def literal_pattern(text: str) -> str:
    """A regex that finds `text` as written, with flexible spacing and word edges."""
    body = rules.span_pattern(text)
    left = r"\b" if re.match(r"\w", text) else ""
    right = r"\b" if re.search(r"\w$", text) else ""
    return f"{left}{body}{right}"


def build_checklist(
    request: Request, plan: ContextPlan, spec: GenerationSpec
) -> list[ChecklistItem]:
    """Atomic yes/no items: each text to show, each resolved fact, the subject and style.

    A request that brings its own checklist is judged on exactly that checklist.
    """
    if request.checklist:
        return list(request.checklist)
    items = _shown_items(spec)
    if plan.subject:
        items.append(ChecklistItem(id="subject", question=f"Does the image show {plan.subject}?"))
    shown = " ".join(block.text for block in spec.text).lower()
    items += [
        ChecklistItem(id=f"item{i}", question=f"Does the image show {item}?", kind=ItemKind.CONTENT)
        for i, item in enumerate(plan.items, start=1)
        if item.lower() not in shown
    ]
    items += [
        ChecklistItem(id=f"detail{i}", question=f"Does the image show {detail}?")
        for i, detail in enumerate(plan.details, start=1)
    ]
    items += plan.checklist
    if plan.style:
        items.append(
            ChecklistItem(
                id="style",
                question=f"Is the image in this style: {plan.style}?",
                kind=ItemKind.STYLE,
            )
        )
    return items


def task_checklist(
    task: PlannedTask, plan: ContextPlan, spec: GenerationSpec
) -> list[ChecklistItem]:
    """The items one task of several is judged on, ids prefixed with the task's id: its own
    text and facts, its beat, and the look every task shares."""
    items = _shown_items(spec)
    if task.brief:
        items.append(ChecklistItem(id="beat", question=f"Does this image show: {task.brief}?"))
    if plan.consistency:
        items.append(
            ChecklistItem(
                id="consistency",
                question=f"Does this image keep the shared look: {plan.consistency}?",
                expect=[literal_pattern(plan.consistency)],
            )
        )
    return [item.model_copy(update={"id": f"{task.id}.{item.id}"}) for item in items]


def page_checklist(request: Request, plan: ContextPlan) -> list[ChecklistItem]:
    """The items the assembled page of several tasks is judged on: the request's own
    checklist when it brings one, else the subject and that the tasks look alike."""
    if request.checklist:
        return list(request.checklist)
    items: list[ChecklistItem] = []
    if plan.subject:
        items.append(ChecklistItem(id="subject", question=f"Does the page show {plan.subject}?"))
    if plan.consistency:
        items.append(
            ChecklistItem(
                id="consistent",
                question=f"Do all {len(plan.tasks)} images show the same: {plan.consistency}?",
            )
        )
    return items


def _shown_items(spec: GenerationSpec) -> list[ChecklistItem]:
    """An item per text block to show and per resolved fact the text does not already show."""
    items: list[ChecklistItem] = []
    for block in spec.text:
        items.append(
            ChecklistItem(
                id=f"text{len(items) + 1}",
                question=f'Does the image show the text "{block.text}"?',
                kind=ItemKind.TEXT,
                expect=[literal_pattern(block.text)],
            )
        )
    shown = " ".join(block.text for block in spec.text)
    for fact in spec.facts:
        if fact.value in shown:
            continue
        items.append(
            ChecklistItem(
                id=f"fact_{fact.gap_id}",
                question=_reflects(fact.span, fact.value),
                kind=ItemKind.FACT,
                expect=[literal_pattern(fact.value)],
            )
        )
    return items


def _reflects(span: str, value: str) -> str:
    """ "Does the image reflect that my dog is Biscuit?"; a value that is already a sentence
    about the phrase ("my dog is a golden retriever named Biscuit") is asked as it is."""
    if value.lower().startswith(span.lower()):
        return f"Does the image reflect that {value}?"
    return f"Does the image reflect that {span} is {value}?"
