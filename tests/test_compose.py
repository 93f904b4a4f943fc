from typing import ClassVar

from imagent.agent.compose import annotate, compose_spec
from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.types import (
    ContextPlan,
    EvidenceSource,
    Fact,
    Gap,
    GapRoute,
    GapStatus,
    GenerationSpec,
    Request,
    TextBlock,
)

from .helpers import resolved_gap, tracer

PROMPT = "A chalkboard showing the result of 17 x 23, written large"


def reasoned_gap() -> Gap:
    return resolved_gap(
        GapRoute.REASON,
        "the result of 17 x 23",
        "391",
        EvidenceSource.REASONING,
        "17*23 = 391",
        question="?",
    )


def plan() -> ContextPlan:
    return ContextPlan(
        intent=PROMPT,
        subject="A chalkboard",
        text=[TextBlock(text="the result of 17 x 23")],
        gaps=[reasoned_gap()],
    )


def test_resolved_values_replace_their_phrases() -> None:
    spec = compose_spec(
        Request(prompt=PROMPT), plan(), [reasoned_gap()], FakeRenderer(), seed=5, tracer=tracer()
    )
    # Every word of the request is kept; the value goes beside the phrase it answers, and
    # the text the image shows is the value itself.
    assert spec.brief == "A chalkboard showing the result of 17 x 23 (391), written large"
    assert [b.text for b in spec.text] == ["391"]
    assert 'Exact text to show: "391"' in spec.prompt
    assert spec.seeds == [5]


class TinyRenderer(Renderer):
    provider = "tiny"
    max_prompt_chars: ClassVar[int] = 60
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = ((1328, 1328), (1664, 928), (928, 1664))
    max_candidates: ClassVar[int] = 1

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        return []


def test_prompt_fits_the_renderer_limit_and_keeps_every_fact() -> None:
    long_prompt = "A chalkboard in a sunny classroom with plants and posters on every wall, showing the result of 17 x 23, written large"
    t = tracer()
    spec = compose_spec(
        Request(prompt=long_prompt, n=4), plan(), [reasoned_gap()], TinyRenderer(), seed=1, tracer=t
    )
    assert len(spec.prompt) <= 60
    assert "391" in spec.prompt
    coverage = [e for e in t.events if "facts" in e.message]
    assert coverage and coverage[-1].payload.missing == []  # type: ignore[union-attr]


def test_size_snaps_to_what_the_renderer_offers_and_says_so() -> None:
    t = tracer()
    spec = compose_spec(
        Request(prompt="a wide banner", size="1920x1080", n=3),
        ContextPlan(intent="a wide banner"),
        [],
        TinyRenderer(),
        seed=1,
        tracer=t,
    )
    assert (spec.size.width, spec.size.height) == (1664, 928)
    assert len(spec.seeds) == 1  # the renderer caps candidates
    assert any("1920x1080" in e.message for e in t.events if e.kind == "warning")


def test_unresolved_gaps_leave_the_request_words_in_place() -> None:
    gap = reasoned_gap().model_copy(update={"status": GapStatus.UNRESOLVED, "resolution": None})
    spec = compose_spec(
        Request(prompt=PROMPT), plan(), [gap], FakeRenderer(), seed=1, tracer=tracer()
    )
    assert "the result of 17 x 23" in spec.prompt and spec.facts == []


def test_two_phrases_answered_by_the_same_words_show_them_once() -> None:
    close = "11月24日,云杉科技(YSKJ)收盘报36.58元"
    facts = [
        Fact(gap_id=g, span=span, value=close, source=EvidenceSource.WEB)
        for g, span in (("g1", "云杉科技（YSKJ）最新收盘价"), ("g2", "最新收盘价"))
    ]
    text = annotate("画一张股票行情卡片，显示云杉科技（YSKJ）最新收盘价", facts)
    assert text.count(close) == 1 and text.endswith(f"最新收盘价 ({close})")
