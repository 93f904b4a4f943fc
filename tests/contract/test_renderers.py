"""Every renderer passes the same suite: one image per seed, the asked size, deterministic.

Hosted renderers run against their local fakes; `diffusers` against a tiny random pipeline
(skipped without its extra)."""

import json

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.core.types import GenerationSpec, Size, TextBlock
from imagent.settings import Settings
from tests.fakes.comfyui import txt2img_workflow

# renderer id → the fixture that serves its API (None: needs nothing)
RENDERERS: dict[str, str | None] = {
    "fake": None,
    "layout/poster": None,
    "layout/card": None,
    "layout/infographic": None,
    "layout/slide": None,
    "layout/banner": None,
    "dashscope/qwen-image-max": "dashscope",
    "dashscope/qwen-image-plus": "dashscope",  # the task API
    "dashscope/qwen-image-2.0": "dashscope",
    "openai/gpt-image-1": "openai_images",
    "openai/gpt-image-2": "openai_images",
    "openai/dall-e-3": "openai_images",
    "comfyui/txt2img.json": "comfyui",
    "a1111/v1-5-pruned-emaonly.safetensors": "a1111",
    "diffusers/tiny": "tiny_pipeline",
}


@pytest.fixture(params=list(RENDERERS))
def renderer(request: pytest.FixtureRequest, settings: Settings) -> Renderer:
    backend_id, served_by = request.param, RENDERERS[request.param]
    if served_by is None:
        return registry.resolve("renderer", backend_id, settings)
    served = request.getfixturevalue(served_by)
    if backend_id.startswith("comfyui/"):
        (settings.home / "workflows").mkdir(parents=True, exist_ok=True)
        (settings.home / "workflows" / "txt2img.json").write_text(json.dumps(txt2img_workflow()))
    if backend_id == "diffusers/tiny":
        backend_id = f"diffusers/{served}"
        steps = {"diffusers": {"options": {"steps": 2, "guidance_scale": 1.0}}}
        request.getfixturevalue("monkeypatch").setenv("IMAGENT_PROVIDERS", json.dumps(steps))
    # settings again: the fake's fixture has just pointed the environment at it
    return registry.resolve("renderer", backend_id, Settings(home=settings.home, retry_wait_s=0))


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
    await renderer.aclose()
    assert len(rendered) == len(s.seeds)
    for one, seed in zip(rendered, s.seeds, strict=True):
        assert isinstance(one, RenderedImage) and isinstance(one.image, Image.Image)
        assert one.image.size == (s.size.width, s.size.height)
        assert one.seed == (seed if renderer.supports_seed else None)
        assert one.cost_usd >= 0


async def test_same_seed_same_pixels(renderer: Renderer) -> None:
    if not renderer.supports_seed:
        pytest.skip(f"{renderer.id} takes no seed")
    first = await renderer.render(spec(renderer, seeds=[42]))
    second = await renderer.render(spec(renderer, seeds=[42]))
    await renderer.aclose()
    assert first[0].image.tobytes() == second[0].image.tobytes()


async def test_smallest_size_renders(renderer: Renderer) -> None:
    s = spec(renderer, renderer.min_side, renderer.min_side, seeds=[3])
    [one] = await renderer.render(s)
    await renderer.aclose()
    assert one.image.size == (s.size.width, s.size.height)


@pytest.mark.parametrize("width,height", [(4096, 64), (64, 4096), (1000, 1000), (333, 777)])
def test_fit_size_keeps_the_renderers_rules(renderer: Renderer, width: int, height: int) -> None:
    fitted = renderer.fit_size(Size(width=width, height=height))
    assert renderer.min_side <= fitted.width <= renderer.max_side
    assert renderer.min_side <= fitted.height <= renderer.max_side
    if renderer.sizes:
        assert (fitted.width, fitted.height) in renderer.sizes
        return
    pixels, ratio = fitted.width * fitted.height, fitted.width / fitted.height
    assert fitted.width % renderer.size_multiple == 0 == fitted.height % renderer.size_multiple
    assert renderer.max_pixels is None or pixels <= renderer.max_pixels
    assert renderer.min_pixels is None or pixels >= renderer.min_pixels
    assert renderer.max_aspect is None or 1 / renderer.max_aspect <= ratio <= renderer.max_aspect


def test_capabilities_agree(renderer: Renderer) -> None:
    assert renderer.supports_reference_images == (renderer.max_reference_images > 0)
    assert not renderer.requires_reference_images or renderer.supports_reference_images
    assert not renderer.supports_mask or renderer.supports_reference_images
