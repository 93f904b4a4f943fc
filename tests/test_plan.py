from imagent.agent.plan import make_plan
from imagent.backends.llm.fake import FakeLLM
from imagent.core.types import GapRoute, Request

from .conftest import TODAY
from .helpers import planner_answer, tracer


async def test_arithmetic_is_decided_by_rules_even_without_a_model() -> None:
    plan = await make_plan(
        Request(prompt="A chalkboard showing the result of 17 x 23, written large"),
        None,
        tracer(),
        today=TODAY,
    )
    assert [(g.route, g.span, g.decided_by) for g in plan.gaps] == [
        (GapRoute.REASON, "the result of 17 x 23", "rules")
    ]
    assert [b.text for b in plan.text] == ["the result of 17 x 23"]
    assert plan.subject == "A chalkboard"


async def test_plain_request_takes_one_model_call_and_has_no_gaps() -> None:
    llm = FakeLLM(responses=[planner_answer()])
    plan = await make_plan(Request(prompt="a red bicycle"), llm, tracer(), today=TODAY)
    assert plan.gaps == []
    assert len(llm.calls) == 1


async def test_invented_gaps_are_pruned_and_the_trace_says_why() -> None:
    llm = FakeLLM(
        responses=[
            planner_answer(
                gaps=[
                    {"span": "the brand of the bicycle", "route": "search"},  # not in the request
                    {"span": "red bicycle", "route": "search"},  # no lookup cue
                    {"span": "bicycle", "route": "memory"},  # not about the user
                ],
            )
        ]
    )
    t = tracer()
    plan = await make_plan(Request(prompt="a red bicycle"), llm, t, today=TODAY)
    assert plan.gaps == []
    reasons = [e.message for e in t.events if e.kind == "decision"]
    assert any("not in the request" in r for r in reasons)
    assert any("no cue" in r for r in reasons)
    assert any("does not refer to the user" in r for r in reasons)


async def test_justified_model_gaps_are_kept_with_their_route() -> None:
    prompt = "a poster of the Hangzhou weather forecast for the weekend"
    gap = {"span": "the Hangzhou weather forecast", "route": "search"}
    llm = FakeLLM(responses=[planner_answer([gap])])
    plan = await make_plan(Request(prompt=prompt), llm, tracer(), today=TODAY)
    assert [(g.route, g.span, g.decided_by) for g in plan.gaps] == [
        (GapRoute.SEARCH, "the Hangzhou weather forecast", "llm")
    ]


async def test_model_span_is_widened_to_include_its_cue() -> None:
    llm = FakeLLM(
        responses=[
            planner_answer([{"span": "128 and 256", "route": "reason", "expression": "128+256"}])
        ]
    )
    plan = await make_plan(
        Request(prompt="a banner showing the sum of 128 and 256"), llm, tracer(), today=TODAY
    )
    assert [(g.span, g.expression) for g in plan.gaps] == [("the sum of 128 and 256", "128+256")]
    assert [b.text for b in plan.text] == ["the sum of 128 and 256"]


async def test_style_and_subject_come_from_the_request() -> None:
    plan = await make_plan(
        Request(prompt="a watercolor of a lighthouse at dusk, retro poster"),
        None,
        tracer(),
        today=TODAY,
    )
    assert plan.style == "watercolor, retro, poster"
    assert plan.subject == "a watercolor of a lighthouse at dusk"


async def test_model_reason_gap_overlapping_a_rule_gap_is_not_duplicated() -> None:
    llm = FakeLLM(
        responses=[
            planner_answer(gaps=[{"span": "17 x 23", "route": "reason", "expression": "17*23"}])
        ]
    )
    plan = await make_plan(
        Request(prompt="A chalkboard showing the result of 17 x 23"), llm, tracer(), today=TODAY
    )
    assert len(plan.gaps) == 1 and plan.gaps[0].decided_by == "rules"


async def test_broken_json_is_repaired_or_reasked() -> None:
    llm = FakeLLM(responses=['{"gaps": [', '{"gaps": []}'])
    plan = await make_plan(Request(prompt="a cat"), llm, tracer(), today=TODAY)
    assert plan.gaps == [] and len(llm.calls) >= 1


async def test_panels_are_read_from_the_request() -> None:
    plan = await make_plan(
        Request(prompt="a four-panel comic about a cat"), None, tracer(), today=TODAY
    )
    assert plan.panels == 4


async def test_lookup_and_memory_phrases_become_rule_gaps_without_a_model() -> None:
    plan = await make_plan(
        Request(prompt="tomorrow's weather in Hangzhou in my usual style"),
        None,
        tracer(),
        today=TODAY,
    )
    assert [(g.route, g.span, g.decided_by) for g in plan.gaps] == [
        (GapRoute.SEARCH, "tomorrow's weather in Hangzhou", "rules"),
        (GapRoute.MEMORY, "my usual style", "rules"),
    ]
