"""The `vlm/<llm id>` judge against a fake vision model that really looks at the image: it
answers colour questions from the image's dominant colour, so a verdict proves the image was
sent, decoded and seen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from imagent import registry
from imagent.agent.agent import Agent
from imagent.backends.judge.vlm import BATCH, VLMJudge
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.metering import metered
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.errors import ConfigError, StructuredOutputError
from imagent.core.types import ChecklistItem, GenerationSpec, ItemKind
from imagent.settings import Settings
from imagent.testing import ChatRequest, FakeOpenAIServer

from .fake_openai import serving

COLOURS = {"red": (220, 30, 30), "blue": (30, 40, 220), "green": (30, 200, 60)}
SPEC = GenerationSpec(brief="b", prompt="p")
ITEM_LINE = re.compile(r"^- (\S+): (.+)$", re.MULTILINE)


def dominant_colour(image: Image.Image) -> str:
    mean = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return min(
        COLOURS, key=lambda n: sum((a - c) ** 2 for a, c in zip(mean, COLOURS[n], strict=True))
    )  # type: ignore[arg-type]


def colour_model(request: ChatRequest) -> dict[str, Any]:
    """Answers from what it sees: yes for the image's colour, no for another, else unsure."""
    seen = dominant_colour(request.images[0]) if request.images else None
    verdicts = []
    for item_id, question in ITEM_LINE.findall(request.text):
        named = [c for c in COLOURS if c in question.lower()]
        answer = "cannot_tell" if not named or seen is None else "yes" if seen in named else "no"
        verdicts.append({"item_id": item_id, "answer": answer, "reason": f"the image is {seen}"})
    return {"verdicts": verdicts}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with serving(monkeypatch, responder=colour_model) as server:
        yield server


@pytest.fixture
def judge(server: FakeOpenAIServer, settings: Settings) -> VLMJudge:
    return registry.resolve("judge", "vlm/openai/gpt-4o-mini", settings)  # type: ignore[return-value]


def items(*questions: str, kind: ItemKind = ItemKind.CONTENT) -> list[ChecklistItem]:
    return [ChecklistItem(id=f"c{i}", question=q, kind=kind) for i, q in enumerate(questions, 1)]


@pytest.mark.parametrize("colour", ["red", "blue"])
async def test_verdicts_come_from_the_image_itself(judge: VLMJudge, colour: str) -> None:
    image = Image.new("RGB", (640, 480), COLOURS[colour])
    checklist = items("Is the background red?", "Is the background blue?", "Is there a cat?")
    verdicts = await judge.judge(image, checklist, SPEC)
    expected = {"red": [True, False, None], "blue": [False, True, None]}[colour]
    assert [v.passed for v in verdicts] == expected
    assert all(v.judge == "vlm/openai/gpt-4o-mini" for v in verdicts)
    assert verdicts[0].reason == f"the image is {colour}"
    await judge.aclose()


async def test_items_go_in_batches_with_one_downscaled_image_each(
    judge: VLMJudge, server: FakeOpenAIServer
) -> None:
    checklist = items(*[f"Is item {i} green?" for i in range(BATCH + 2)])
    verdicts = await judge.judge(Image.new("RGB", (3000, 1200), COLOURS["green"]), checklist, SPEC)
    assert [v.item_id for v in verdicts] == [i.id for i in checklist]
    assert all(v.passed for v in verdicts) and len(server.chat_requests) == 2
    body = server.chat_requests[0].body or {}
    parts = body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url"]
    assert parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert body["response_format"]["json_schema"]["strict"] is True
    await judge.aclose()


async def test_an_invented_id_is_ignored_and_a_skipped_item_cannot_be_told(
    judge: VLMJudge, server: FakeOpenAIServer
) -> None:
    server.responder = lambda request: {
        "verdicts": [
            {"item_id": "c1", "answer": "yes", "reason": "a red sign"},
            {"item_id": "c99", "answer": "no", "reason": "not asked"},
        ]
    }
    verdicts = await judge.judge(Image.new("RGB", (64, 64)), items("A?", "B?"), SPEC)
    assert [(v.item_id, v.passed) for v in verdicts] == [("c1", True), ("c2", None)]
    assert "no verdict" in verdicts[1].reason
    await judge.aclose()


async def test_an_invalid_answer_is_re_asked_once_with_the_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(
        [
            {"verdicts": [{"item_id": "c1", "answer": "probably", "reason": "?"}]},
            {"verdicts": [{"item_id": "c1", "answer": "Cannot tell", "reason": "too dark"}]},
        ]
    )
    # JSON mode promises JSON, not the schema: a model there can answer off the list.
    with serving(
        monkeypatch, quirks="json-object-only", responder=lambda r: next(answers)
    ) as server:
        judge = VLMJudge("openai/gpt-4o-mini", settings)
        [verdict] = await judge.judge(Image.new("RGB", (64, 64)), items("Is it lit?"), SPEC)
        assert (verdict.passed, verdict.reason) == (None, "too dark")  # unverified, not a pass
        retry = server.chat_requests[-1].body or {}
        assert "That was not valid" in retry["messages"][-1]["content"]
        assert [r.body["response_format"]["type"] for r in server.chat_requests] == [
            "json_schema",  # rejected with a 400
            "json_object",
            "json_object",  # the re-ask, at the tier that works
        ]
        await judge.aclose()


async def test_two_invalid_answers_raise_for_the_agent_to_record(
    judge: VLMJudge, server: FakeOpenAIServer
) -> None:
    server.responder = lambda request: {"verdicts": "none"}
    with pytest.raises(StructuredOutputError):
        await judge.judge(Image.new("RGB", (64, 64)), items("A?"), SPEC)
    await judge.aclose()


async def test_every_call_is_metered_to_the_run(judge: VLMJudge) -> None:
    calls: list[tuple[str, str, int]] = []
    with metered(lambda step, llm, c: calls.append((step, llm.id, c.input_tokens))):
        await judge.judge(Image.new("RGB", (64, 64)), items("Is it red?"), SPEC)
    assert [(s, m) for s, m, _ in calls] == [("judge", "openai/gpt-4o-mini")] and calls[0][2] > 85
    await judge.aclose()


def test_it_judges_every_kind_of_item(judge: VLMJudge) -> None:
    assert all(judge.applies_to(i) for k in ItemKind for i in items("q?", kind=k))


def test_a_model_that_cannot_see_is_refused_with_examples(settings: Settings) -> None:
    with pytest.raises(ConfigError, match=r"cannot take images.*vlm/openai/gpt-4o-mini"):
        VLMJudge(settings=settings, llm=FakeLLM())
    with pytest.raises(ConfigError, match="vlm/<llm id>"):
        registry.resolve("judge", "vlm", settings)


async def test_in_a_run_verdicts_and_judge_calls_land_in_the_result(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    agent = Agent(
        settings,
        llm="none",
        renderer=FakeRenderer(),
        judges=["vlm/openai/gpt-4o-mini"],
        memory="none",
    )
    checklist = items("Is the whole image red?")
    async with agent:
        result = await agent.run("a plain square", checklist=checklist, seed=1)
    verdict = result.rounds[0].candidates[0].verdicts[0]
    assert verdict.judge == "vlm/openai/gpt-4o-mini" and verdict.passed is not None
    judged = sum(len(r.candidates) for r in result.rounds)  # one call per candidate judged
    assert result.usage.calls_by_step == {"judge": judged}
    call = result.usage.calls[0]
    assert call.model == "openai/gpt-4o-mini" and call.cost_usd > 0 and call.cost_known


async def test_judge_calls_do_not_use_up_the_agents_call_budget(settings: Settings) -> None:
    from imagent.agent.backends import BudgetedLLM
    from imagent.core.errors import BudgetExceededError
    from imagent.core.types import ModelCall, Usage

    usage = Usage()
    for _ in range(3):
        usage.add(ModelCall(model="openai/gpt-4o-mini", step="judge"))
    planner = BudgetedLLM(FakeLLM(), usage, budget=1, settings=settings)
    await planner.complete([{"role": "user", "content": "hi"}])  # the 3 judge calls are free
    usage.add(ModelCall(model="fake", step="plan"))
    with pytest.raises(BudgetExceededError):
        await planner.complete([{"role": "user", "content": "hi"}])
