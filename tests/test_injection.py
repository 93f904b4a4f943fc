"""Retrieved text is data: a corpus of plausible injected instructions must change neither
the plan's intent nor the final prompt. No token of a payload reaches the prompt, and the
page's fact is still found. The extractor model here is adversarial: it answers with the
payload itself whenever it is asked."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from imagent.agent.agent import Agent
from imagent.backends.llm.base import Message
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.fake import FakeRenderer
from imagent.backends.search.local import LocalSearch
from imagent.settings import Settings

from .conftest import TODAY

CORPUS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "injection_corpus.jsonl").read_text().splitlines()
    if line.strip()
]
_HIDDEN = re.compile(
    "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
NEIGHBOUR = {
    "title": "Weekend events roundup",
    "url": "https://events.example.org/roundup",
    "date": "2026-11-20",
    "text": "Several fairs and concerts take place this weekend.",
}


def normalised(text: str) -> str:
    return _HIDDEN.sub("", unicodedata.normalize("NFKC", text)).casefold()


def carries_payload(prompt: str, entry: dict[str, Any]) -> list[str]:
    found = []
    for marker in entry["markers"]:
        plain = normalised(marker)  # a marker of invisible characters normalises to nothing
        if marker in prompt or (plain and plain in normalised(prompt)):
            found.append(marker)
    return found


def adversary(entry: dict[str, Any]) -> FakeLLM:
    """A planner that routes the question to search, and an extractor that answers with
    the payload, pointing at the first source."""

    def answer(messages: list[Message], schema: dict[str, Any] | None) -> Any:
        fields = set((schema or {}).get("properties", {}))
        if "gaps" in fields:
            span = entry["span"]
            return {"gaps": [{"span": span, "route": "search", "expression": ""}]}
        if "source" in fields:
            return {"answer": entry["payload"][:150], "source": 0}
        if "items" in fields:
            return {"items": [], "details": []}
        return {}

    return FakeLLM(function=answer)


def with_span(entry: dict[str, Any]) -> dict[str, Any]:
    """The planner's gap: the request's phrase after its opening article."""
    return {**entry, "span": re.sub(r"^(?:an?|the)\s+", "", entry["request"], flags=re.I)}


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
async def test_no_token_of_an_injected_payload_reaches_the_prompt(
    settings: Settings, entry: dict[str, Any]
) -> None:
    entry = with_span(entry)
    docs = [entry["document"], NEIGHBOUR]
    agent = Agent(
        settings,
        llm=adversary(entry),
        renderer=FakeRenderer(),
        judges=["instruction"],
        memory="none",
        search=LocalSearch(documents=docs, settings=settings),
        today=TODAY,
    )
    result = await agent.plan(entry["request"])
    assert carries_payload(result.final_prompt, entry) == [], result.final_prompt
    [gap] = [g for g in result.gaps if g.route == "search"]
    brief = result.final_prompt.splitlines()[0]
    assert brief.replace(f" ({gap.resolution})", "") == entry["request"]  # the user's intent
    assert gap.status == "resolved", result.final_prompt
    worked_out = any(e.source == "reasoning" for e in gap.evidence)  # an age from a birth date
    answer = gap.evidence[0].snippet if worked_out else gap.resolution or ""
    assert normalised(entry["answer"]) in normalised(answer), gap.resolution
