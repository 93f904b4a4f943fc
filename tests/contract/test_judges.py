"""Every judge passes the same suite: one verdict per item it applies to, ids kept."""

from collections.abc import AsyncIterator

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.judge.base import Judge
from imagent.core.types import ChecklistItem, GenerationSpec, ItemKind, TextBlock
from imagent.settings import Settings
from imagent.testing import ChatRequest

from ..fake_openai import serving

JUDGES = [
    "instruction",
    "fake/pass",
    "fake/fail",
    "fake/unsure",
    "vlm/openai/gpt-4o-mini",  # against the local fake OpenAI server
    pytest.param("ocr", marks=pytest.mark.slow),
]
ITEMS = [
    ChecklistItem(id="t1", question='Does it show "391"?', kind=ItemKind.TEXT, expect=[r"\b391\b"]),
    ChecklistItem(id="c1", question="Is it a chalkboard?"),
]
SPEC = GenerationSpec(
    brief="b",
    prompt='A chalkboard showing 391\nExact text to show: "391".',
    text=[TextBlock(text="391")],
)


def vision_model(request: ChatRequest) -> dict[str, object]:
    """Says it cannot tell, for every item it is asked about."""
    ids = [line[2:].split(":")[0] for line in request.text.splitlines() if line.startswith("- ")]
    return {"verdicts": [{"item_id": i, "answer": "cannot_tell", "reason": "-"} for i in ids]}


@pytest.fixture(params=JUDGES)
async def judge(
    request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Judge]:
    if not str(request.param).startswith("vlm/"):
        yield registry.resolve("judge", request.param, settings)
        return
    with serving(monkeypatch, responder=vision_model):
        judge = registry.resolve("judge", request.param, settings)
        yield judge
        await judge.aclose()


async def test_one_verdict_per_applicable_item(judge: Judge) -> None:
    items = [i for i in ITEMS if judge.applies_to(i)]
    image = Image.new("RGB", (128, 128), "white")
    verdicts = await judge.judge(image if judge.needs_image else None, items, SPEC)
    assert [v.item_id for v in verdicts] == [i.id for i in items]
    assert all(v.judge == judge.id for v in verdicts)
    assert all(v.passed in (True, False, None) for v in verdicts)


async def test_no_items_no_verdicts(judge: Judge) -> None:
    assert await judge.judge(Image.new("RGB", (64, 64)), [], SPEC) == []
