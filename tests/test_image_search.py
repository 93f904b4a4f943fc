"""Image search: candidates fetched with the one safe fetcher, the first one that loads (or
that a seeing model says shows the phrase) kept beside the run, given to renderers that take
references and described in words for those that don't."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, ClassVar

from PIL import Image
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from imagent.agent.agent import Agent
from imagent.backends.llm.fake import FakeLLM
from imagent.backends.renderer.fake import FakeRenderer
from imagent.backends.search.fake import FakeSearch
from imagent.core.types import GapRoute, GapStatus, Result
from imagent.settings import Settings
from tests.fakes.fixtures import Switchboard

from .conftest import TODAY

PROMPT = "a poster with the Lumen Cup trophy"


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


def pictures() -> Starlette:
    async def trophy(request: Any) -> Response:
        return Response(png("gold"), media_type="image/png")

    async def page(request: Any) -> Response:
        return Response("<html>not an image</html>", media_type="text/html")

    return Starlette(routes=[Route("/trophy.png", trophy), Route("/page.png", page)])


def capable_planner() -> FakeLLM:
    gap = {"span": "the Lumen Cup trophy", "route": "image_search", "queries": ["Lumen Cup trophy"]}
    return FakeLLM(responses=[{"gaps": [gap]}], tier="capable")


class ReferenceRenderer(FakeRenderer):
    supports_reference_images: ClassVar[bool] = True


async def run(settings: Settings, base: str, renderer: FakeRenderer) -> Result:
    images = [
        {"url": f"{base}/page.png", "title": "Lumen Cup trophy, the HTML page"},
        {"url": f"{base}/trophy.png", "title": "The Lumen Cup trophy"},
    ]
    agent = Agent(
        settings.model_copy(update={"image_allow_networks": ["127.0.0.0/8"]}),
        llm=capable_planner(),
        renderer=renderer,
        judges=["instruction"],
        memory="none",
        search=FakeSearch(documents=[], images=images),
        today=TODAY,
    )
    return await agent.run(PROMPT, seed=1)


async def test_a_reference_image_is_found_fetched_safely_and_given_to_the_renderer(
    settings: Settings, plugboard: Switchboard
) -> None:
    base = plugboard.plug("pictures", pictures())
    renderer = ReferenceRenderer()
    result = await run(settings, base, renderer)
    [gap] = result.gaps
    assert (gap.route, gap.status) == (GapRoute.IMAGE_SEARCH, GapStatus.RESOLVED)
    assert gap.reference and Path(gap.reference).is_file()  # kept beside the run
    assert gap.evidence[0].url == f"{base}/trophy.png"  # the HTML "image" was skipped
    assert renderer.specs[0].reference_images == [gap.reference]


async def test_a_renderer_without_references_gets_the_image_in_words(
    settings: Settings, plugboard: Switchboard
) -> None:
    base = plugboard.plug("pictures", pictures())
    renderer = FakeRenderer()
    result = await run(settings, base, renderer)
    assert "as in the reference image: The Lumen Cup trophy" in result.final_prompt
    assert renderer.specs[0].reference_images == []


async def test_without_image_search_the_gap_is_a_visible_warning(settings: Settings) -> None:
    agent = Agent(
        settings,
        llm=capable_planner(),
        renderer=FakeRenderer(),
        judges=["instruction"],
        memory="none",
        search=FakeSearch(documents=[]),
        today=TODAY,
    )
    result = await agent.run(PROMPT, seed=1)
    assert result.gaps[0].status is GapStatus.UNRESOLVED
    assert any("offers no image search" in w for w in result.warnings)
