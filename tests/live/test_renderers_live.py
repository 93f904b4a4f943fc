"""One render per provider against the real service (opt-in: see conftest.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from imagent import registry
from imagent.core.types import GenerationSpec, Size
from imagent.settings import ProviderSettings, Settings

pytestmark = [pytest.mark.live, pytest.mark.enable_socket]


def needs(variable: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(f"set {variable} to run this live test")
    return value


async def render_once(backend_id: str, settings: Settings, size: Size) -> None:
    renderer = registry.resolve("renderer", backend_id, settings)
    spec = GenerationSpec(
        brief="a red bicycle",
        prompt="A red bicycle leaning on a white wall, photograph",
        size=renderer.fit_size(size),
        seeds=[7],
    )
    try:
        [one] = await renderer.render(spec)
    finally:
        await renderer.aclose()
    assert one.image.size[0] >= 64 and one.image.size[1] >= 64
    assert one.seed == (7 if renderer.supports_seed else None)


async def test_dashscope_qwen_image(tmp_path: Path) -> None:
    needs("DASHSCOPE_API_KEY")
    await render_once(
        "dashscope/qwen-image-plus", Settings(home=tmp_path), Size(width=1328, height=1328)
    )


async def test_openai_images(tmp_path: Path) -> None:
    needs("OPENAI_API_KEY")
    section = ProviderSettings(options={"quality": "low"})
    settings = Settings(home=tmp_path, providers={"openai": section})
    await render_once("openai/gpt-image-1-mini", settings, Size(width=1024, height=1024))


async def test_comfyui(tmp_path: Path) -> None:
    url = needs("IMAGENT_LIVE_COMFYUI_URL")
    workflow = needs("IMAGENT_LIVE_COMFYUI_WORKFLOW")  # a text-to-image workflow, API format
    settings = Settings(home=tmp_path, providers={"comfyui": ProviderSettings(base_url=url)})
    await render_once(f"comfyui/{workflow}", settings, Size(width=512, height=512))


async def test_a1111(tmp_path: Path) -> None:
    url = needs("IMAGENT_LIVE_A1111_URL")
    settings = Settings(
        home=tmp_path, providers={"a1111": ProviderSettings(base_url=url, options={"steps": 8})}
    )
    await render_once("a1111", settings, Size(width=512, height=512))


async def test_diffusers(tmp_path: Path) -> None:
    folder = needs("IMAGENT_LIVE_DIFFUSERS_FOLDER")  # a pipeline saved with save_pretrained
    pytest.importorskip("diffusers")
    options = json.loads(os.environ.get("IMAGENT_LIVE_DIFFUSERS_OPTIONS", '{"steps": 4}'))
    settings = Settings(home=tmp_path, providers={"diffusers": ProviderSettings(options=options)})
    await render_once(f"diffusers/{folder}", settings, Size(width=512, height=512))
