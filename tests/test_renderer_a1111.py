"""a1111/<checkpoint> against the local fake of the AUTOMATIC1111 web UI API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.a1111 import A1111Renderer
from imagent.core.errors import AuthError, BackendError
from imagent.core.types import GenerationSpec, Size
from imagent.settings import ProviderSettings, Settings
from tests.fakes.a1111 import FakeA1111


def renderer(tmp_path: Path, base: str, model: str = "", **options: Any) -> A1111Renderer:
    section = ProviderSettings(base_url=base, timeout_s=5, options=options)
    settings = Settings(home=tmp_path, retry_wait_s=0, providers={"a1111": section})
    backend_id = f"a1111/{model}" if model else "a1111"
    return registry.resolve("renderer", backend_id, settings)  # type: ignore[return-value]


def spec(r: A1111Renderer, seeds: list[int] | None = None, **fields: Any) -> GenerationSpec:
    return GenerationSpec(
        brief="a teapot",
        prompt="A blue porcelain teapot on a wooden table",
        negative_prompt="lowres",
        size=r.fit_size(Size(width=515, height=389)),
        seeds=seeds or [11],
        **fields,
    )


async def test_txt2img_sends_the_documented_fields_and_reads_the_seed_from_info(
    tmp_path: Path, a1111: FakeA1111
) -> None:
    r = renderer(tmp_path, a1111.base, "sd_xl_base_1.0.safetensors", steps=12, sampler_name="DDIM")
    rendered = await r.render(spec(r, seeds=[11, 12]))
    await r.aclose()
    assert [one.seed for one in rendered] == [11, 12]
    assert rendered[0].image.size == (512, 392)  # snapped to multiples of 8
    first = a1111.calls[0]
    assert first["override_settings"] == {"sd_model_checkpoint": "sd_xl_base_1.0.safetensors"}
    assert (first["steps"], first["sampler_name"], first["negative_prompt"]) == (
        12,
        "DDIM",
        "lowres",
    )
    assert first["batch_size"] == 1 and "init_images" not in first


async def test_img2img_sends_the_image_and_mask_as_plain_base64(
    tmp_path: Path, a1111: FakeA1111
) -> None:
    source, mask = tmp_path / "src.png", tmp_path / "mask.png"
    Image.new("RGB", (64, 64), (200, 30, 200)).save(source)
    Image.new("L", (64, 64), 255).save(mask)
    r = renderer(tmp_path, a1111.base, denoising_strength=0.4)
    [one] = await r.render(spec(r, reference_images=[str(source)], mask=str(mask)))
    await r.aclose()
    [call] = a1111.calls
    assert call["denoising_strength"] == 0.4 and "override_settings" not in call
    assert not call["init_images"][0].startswith("data:") and call["mask"]
    red, green, _ = one.image.getpixel((0, 0))  # type: ignore[misc]
    assert red > 150 and green < 80


async def test_errors_carry_the_servers_detail(tmp_path: Path, a1111: FakeA1111) -> None:
    r = renderer(tmp_path, a1111.base, sampler_name="Heun++")
    with pytest.raises(BackendError, match="Sampler not found"):
        await r.render(spec(r))
    await r.aclose()


async def test_basic_auth_comes_from_its_variable(
    tmp_path: Path, a1111: FakeA1111, monkeypatch: pytest.MonkeyPatch
) -> None:
    a1111.auth = "me:s3cret-password"
    r = renderer(tmp_path, a1111.base)
    with pytest.raises(AuthError):
        await r.render(spec(r))
    await r.aclose()
    monkeypatch.setenv("A1111_API_AUTH", "me:s3cret-password")
    r = renderer(tmp_path, a1111.base)
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.seed == 11
