"""Every renderer passes the same suite: one image per seed, the asked size, deterministic."""

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.core.types import GenerationSpec, Size, TextBlock
from imagent.settings import Settings

RENDERERS = [
    "fake",
    "layout/poster",
    "layout/card",
    "layout/infographic",
    "layout/slide",
    "layout/banner",
]


@pytest.fixture(params=RENDERERS)
def renderer(request: pytest.FixtureRequest, settings: Settings) -> Renderer:
    return registry.resolve("renderer", request.param, settings)


def spec(
    renderer: Renderer, width: int = 320, height: int = 240, seeds: list[int] | None = None
) -> GenerationSpec:
    size = renderer.fit_size(Size(width=width, height=height))
    return GenerationSpec(
        brief="A chalkboard showing 391",
        prompt='A chalkboard showing 391\nExact text to show: "391".',
        subject="A chalkboard",
        text=[TextBlock(text="391")],
        size=size,
        seeds=seeds or [1, 2],
    )


async def test_one_render_record_per_seed_at_the_spec_size(renderer: Renderer) -> None:
    s = spec(renderer)
    rendered = await renderer.render(s)
    assert len(rendered) == len(s.seeds)
    for one, seed in zip(rendered, s.seeds, strict=True):
        assert isinstance(one, RenderedImage) and isinstance(one.image, Image.Image)
        assert one.image.size == (s.size.width, s.size.height)
        assert one.seed == (seed if renderer.supports_seed else None) or one.seed is not None
        assert one.cost_usd >= 0


async def test_same_seed_same_pixels(renderer: Renderer) -> None:
    first = await renderer.render(spec(renderer, seeds=[42]))
    second = await renderer.render(spec(renderer, seeds=[42]))
    assert first[0].image.tobytes() == second[0].image.tobytes()


async def test_smallest_size_renders(renderer: Renderer) -> None:
    s = spec(renderer, renderer.min_side, renderer.min_side, seeds=[3])
    [one] = await renderer.render(s)
    assert one.image.size == (s.size.width, s.size.height)


def test_fit_size_stays_within_the_renderers_limits(renderer: Renderer) -> None:
    fitted = renderer.fit_size(Size(width=4096, height=64))
    assert renderer.min_side <= fitted.width <= renderer.max_side
    assert renderer.min_side <= fitted.height <= renderer.max_side
    if renderer.sizes:
        assert (fitted.width, fitted.height) in renderer.sizes
