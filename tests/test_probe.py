"""A request that names something a source must tell about is looked up even when the
planner routed nothing to search; the answer is kept only if it speaks of the named thing."""

import re
from typing import Any

import pytest

from imagent.agent.agent import Agent
from imagent.agent.probe import lookup_probe, named_things
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.fake import FakeRenderer
from imagent.backends.search.fake import FakeSearch
from imagent.core.types import GapRoute, GapStatus
from imagent.settings import Settings
from tests.helpers import planner

from .conftest import TODAY

FINALS = [
    {
        "title": "Otters are Skyforge Arena world champions",
        "date": "2026-11-23",
        "text": "The Vantablack Otters beat Cinder Lynx 3–1 in the Skyforge Arena World Finals "
        "on Sunday.",
    },
    {
        "title": "Group stage recap",
        "date": "2026-11-08",
        "text": "In the group stage of the Skyforge Arena World Finals, Cinder Lynx beat the "
        "Vantablack Otters 3–2.",
    },
]


def agent(
    settings: Settings, documents: list[dict[str, Any]] | None, llm: FakeLLM | str = "none"
) -> Agent:
    return Agent(
        settings,
        llm=llm,
        renderer=FakeRenderer(),
        judges=["instruction"],
        memory="none",
        search=FakeSearch(documents=documents) if documents is not None else "none",
        today=TODAY,
    )


async def test_a_request_about_a_named_event_is_looked_up_and_the_fresh_source_wins(
    settings: Settings,
) -> None:
    prompt = (
        "Make a victory poster for the Skyforge Arena World Finals champions of last weekend, "
        "with the final score"
    )
    result = await agent(settings, FINALS).plan(prompt)
    [score] = result.gaps  # the score asked for is looked up; the source says who won it
    assert (score.span, score.route, score.status, score.decided_by, score.resolution) == (
        "the final score",
        GapRoute.SEARCH,
        GapStatus.RESOLVED,
        "rules",
        "3–1",
    )
    assert 'Exact text to show: "3–1"' in result.final_prompt
    assert "Vantablack Otters beat Cinder Lynx 3–1" in result.final_prompt
    assert "3–2" not in result.final_prompt  # the stale group-stage score
    assert result.final_prompt.startswith(prompt)  # every word of the request is kept


async def test_chinese_requests_are_looked_up_too(settings: Settings) -> None:
    docs = [
        {
            "title": "第九届“银杏杯”决赛",
            "date": "2026-11-20",
            "text": "第九届“银杏杯”围棋赛决赛，韩墨川九段击败对手，首次夺得冠军。",
        }
    ]
    result = await agent(settings, docs).plan("做一张海报，庆祝今年“银杏杯”围棋赛的冠军")
    assert "韩墨川" in result.final_prompt


async def test_nothing_is_added_when_no_source_speaks_of_the_named_thing(
    settings: Settings,
) -> None:
    docs = [{"title": "Patch notes", "text": "Patch 9.4 lowers the cooldown of the rune."}]
    result = await agent(settings, docs).plan(
        "a victory poster for the winner of the Mossgarden Open"
    )
    assert result.gaps == [] and result.warnings == []
    assert "Patch" not in result.final_prompt


async def test_without_a_search_backend_nothing_is_looked_up(settings: Settings) -> None:
    result = await agent(settings, None).plan(
        "a victory poster for the Skyforge Arena World Finals champions"
    )
    assert result.gaps == [] and result.warnings == []
    asked = await agent(settings, None).plan(
        "a victory poster for whoever won the Skyforge Arena World Finals"
    )  # a question the request asks: what could not be looked up is said
    [gap] = asked.gaps
    assert (gap.route, gap.status) == (GapRoute.SEARCH, GapStatus.UNRESOLVED)
    assert any("whoever won" in w for w in asked.warnings)
    assert asked.final_prompt.startswith("a victory poster for whoever won")


@pytest.mark.parametrize(
    "prompt",
    [
        "a watercolor of Paris at night",  # a name, but nothing that changes
        "a new logo for my bakery",  # the user's own thing: memory, not a source
        "a dog on a beach at sunset",
        "一只猫坐在窗台上",
    ],
)
def test_requests_that_need_no_source_are_not_probed(prompt: str) -> None:
    assert lookup_probe(prompt, []) is None


def test_named_things_are_names_and_titles() -> None:
    assert named_things("the box office of 'Paper Comets' this week") == ["Paper Comets"]
    assert named_things("给电影《北岸来信》画海报") == ["北岸来信"]
    assert named_things("QNTX's closing price today") == ["QNTX"]
    # A possessive ends the name: the band, not "Velvet Comet's 2027".
    assert named_things("tour poster for Velvet Comet's 2027 tour") == ["Velvet Comet"]


def test_a_request_to_show_a_value_it_only_describes_is_looked_up() -> None:
    """ "写上他正在拍的新剧的名字": the drama's title must be found before it can be drawn."""
    probe = lookup_probe("给演员沈墨画一张海报，写上他正在拍的新剧的名字", [])
    assert probe is not None and probe.route is GapRoute.SEARCH


async def test_someone_the_request_only_describes_is_looked_up_in_place(
    settings: Settings,
) -> None:
    prompt = (
        "Make a victory poster for whoever won the Skyforge Arena World Finals last weekend, "
        "with the final score"
    )
    result = await agent(settings, FINALS).plan(prompt)
    [gap, score] = result.gaps
    assert (score.span, score.resolution) == ("the final score", "3–1")  # shown in its place
    assert (gap.route, gap.status, gap.decided_by) == (
        GapRoute.SEARCH,
        GapStatus.RESOLVED,
        "rules",
    )
    assert "Vantablack Otters beat Cinder Lynx 3–1" in (gap.resolution or "")
    brief = result.final_prompt.splitlines()[0]
    assert re.sub(r" \([^()]*\)", "", brief) == prompt  # every word kept, values beside


async def test_the_request_is_not_looked_up_again_for_what_another_gap_found(
    settings: Settings,
) -> None:
    """The model made "the club he plays for now" a knowledge question; it is looked up
    (the small model is not trusted to answer). The request's own lookup finds the same
    sentence: it is not added a second time beside the phrase."""
    docs = [
        {
            "title": "Ferreira completes move",
            "date": "2026-09-02",
            "text": "Striker Lukas Ferreira has completed his transfer to Altamar FC.",
        }
    ]
    llm = planner(
        [{"span": "the club he plays for now", "route": "knowledge"}],
        extract={"answer": "Altamar FC", "source": 0},
    )
    result = await agent(settings, docs, llm).plan(
        "a trading card for striker Lukas Ferreira showing the club he plays for now"
    )
    [gap] = result.gaps
    assert gap.status is GapStatus.RESOLVED and "Altamar FC" in (gap.resolution or "")
    brief = result.final_prompt.splitlines()[0]
    assert brief.count("completed his transfer") == 1, brief
