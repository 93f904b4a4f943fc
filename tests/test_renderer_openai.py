"""openai/<image model> against the local fake of the OpenAI Images API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.openai_images import (
    DallE2,
    DallE3,
    GPTImage2,
    OpenAIImagesRenderer,
)
from imagent.core.errors import AuthError, ConfigError, ModerationError, OutcomeUnknownError
from imagent.core.types import GenerationSpec, Size
from imagent.settings import Price, ProviderSettings, Settings
from tests.fakes.openai_images import FakeOpenAIImages

pytestmark = pytest.mark.usefixtures("openai_images")


def renderer(tmp_path: Path, model: str, **section: Any) -> OpenAIImagesRenderer:
    settings = Settings(
        home=tmp_path, retry_wait_s=0, providers={"openai": ProviderSettings(**section)}
    )
    return registry.resolve("renderer", f"openai/{model}", settings)  # type: ignore[return-value]


def spec(r: OpenAIImagesRenderer, seeds: list[int] | None = None, **fields: Any) -> GenerationSpec:
    return GenerationSpec(
        brief="a lighthouse",
        prompt="A lighthouse on a cliff at dusk, oil painting",
        size=r.fit_size(Size(width=1024, height=1024)),
        seeds=seeds or [1],
        **fields,
    )


def image_file(path: Path, colour: tuple[int, int, int], fmt: str = "PNG") -> str:
    Image.new("RGB", (96, 64), colour).save(path, format=fmt)
    return str(path)


async def test_generations_batch_the_candidates_and_cost_comes_from_tokens(
    tmp_path: Path, openai_images: FakeOpenAIImages
) -> None:
    r = renderer(tmp_path, "gpt-image-1")
    rendered = await r.render(spec(r, seeds=[1, 2]))
    await r.aclose()
    [call] = openai_images.calls
    assert call["n"] == 2 and call["size"] == "1024x1024" and call["output_format"] == "png"
    assert "response_format" not in call and call["quality"] == "auto"
    assert [one.seed for one in rendered] == [None, None]
    assert rendered[0].request_id and rendered[0].request_id.startswith("req_")
    # 1056 output tokens an image at $40/M, plus the prompt's text tokens at $5/M
    text = max(1, len(spec(r).prompt) // 4)
    assert rendered[0].cost_usd == pytest.approx((2 * 1056 * 40 + text * 5) / 1e6 / 2, abs=1e-6)
    assert rendered[0].image.tobytes() != rendered[1].image.tobytes()


async def test_dalle3_keeps_its_revised_prompt_one_image_a_request(
    tmp_path: Path, openai_images: FakeOpenAIImages
) -> None:
    r = renderer(tmp_path, "dall-e-3")
    assert isinstance(r, DallE3)
    rendered = await r.render(spec(r, seeds=[1, 2]))
    await r.aclose()
    assert [c["n"] for c in openai_images.calls] == [1, 1]
    assert all(c["response_format"] == "b64_json" for c in openai_images.calls)
    assert rendered[0].revised_prompt == spec(r).prompt + ", in a detailed illustrative style"
    assert rendered[0].cost_usd == 0.04


async def test_an_edit_sends_image_parts_and_a_mask_and_draws_on_image_one(
    tmp_path: Path, openai_images: FakeOpenAIImages
) -> None:
    red = image_file(tmp_path / "red.png", (240, 20, 20))
    blue = image_file(tmp_path / "blue.jpg", (20, 20, 240), "JPEG")
    mask = tmp_path / "mask.png"
    Image.new("L", (48, 32), 255).save(mask)  # white = may change; another size on purpose
    r = renderer(tmp_path, "gpt-image-1")
    [one] = await r.render(spec(r, reference_images=[red, blue], mask=str(mask)))
    await r.aclose()
    [parts] = openai_images.files
    assert [(p.name, p.content_type) for p in parts] == [
        ("image[]", "image/png"),
        ("image[]", "image/jpeg"),
        ("mask", "image/png"),
    ]
    with Image.open(io.BytesIO(parts[2].data)) as sent_mask:
        assert sent_mask.mode == "RGBA" and sent_mask.size == (96, 64)
        assert sent_mask.getpixel((0, 0))[3] == 0  # transparent: the area to edit
    assert openai_images.calls[0]["prompt"] == spec(r).prompt
    red_, _, blue_ = one.image.getpixel((0, 0))  # type: ignore[misc]
    assert red_ > 200 and blue_ < 60


async def test_dalle2_edits_one_png_sent_as_image(
    tmp_path: Path, openai_images: FakeOpenAIImages
) -> None:
    r = renderer(tmp_path, "dall-e-2")
    assert isinstance(r, DallE2)
    source = image_file(tmp_path / "a.jpg", (10, 200, 10), "JPEG")
    await r.render(spec(r, reference_images=[source]))
    await r.aclose()
    [parts] = openai_images.files
    assert [(p.name, p.content_type) for p in parts] == [("image", "image/png")]


async def test_a_429_is_waited_out(tmp_path: Path, openai_images: FakeOpenAIImages) -> None:
    openai_images.throttle = 1
    r = renderer(tmp_path, "gpt-image-1-mini")
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.image.size == (1024, 1024) and len(openai_images.calls) == 1


async def test_moderation_and_bad_keys_are_typed_and_keys_never_echoed(
    tmp_path: Path, openai_images: FakeOpenAIImages, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = renderer(tmp_path, "gpt-image-1")
    with pytest.raises(ModerationError, match="safety system"):
        await r.render(spec(r).model_copy(update={"prompt": "FORBIDDEN thing"}))
    await r.aclose()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-0123456789abcdefghij")
    r = renderer(tmp_path, "gpt-image-1")
    with pytest.raises(AuthError) as caught:
        await r.render(spec(r))
    await r.aclose()
    assert "sk-wrong-0123456789abcdefghij" not in str(caught.value)


async def test_a_timeout_after_sending_is_not_sent_again(
    tmp_path: Path, openai_images: FakeOpenAIImages
) -> None:
    openai_images.delay_s = 1.0
    r = renderer(tmp_path, "gpt-image-1", timeout_s=0.2)
    with pytest.raises(OutcomeUnknownError):
        await r.render(spec(r))
    await r.aclose()
    assert len(openai_images.calls) == 1


def test_without_usage_the_cost_comes_from_the_documented_output_tokens(tmp_path: Path) -> None:
    r = renderer(tmp_path, "gpt-image-1")
    body = {"data": [{}], "quality": "high", "size": "1024x1536"}
    assert r.cost(body, 1, {"size": "1024x1536"}) == pytest.approx(6240 * 40 / 1e6)


async def test_a_configured_price_wins(tmp_path: Path) -> None:
    r = renderer(tmp_path, "gpt-image-1", prices={"gpt-image-1": Price(per_image=0.3)})
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.cost_usd == 0.3


async def test_dalle3_takes_no_input_images(tmp_path: Path) -> None:
    r = renderer(tmp_path, "dall-e-3")
    path = image_file(tmp_path / "a.png", (1, 2, 3))
    with pytest.raises(ConfigError, match="takes no input images"):
        await r.render(spec(r, reference_images=[path]))


def test_gpt_image_2_sizes_are_multiples_of_16_within_its_aspect(tmp_path: Path) -> None:
    r = renderer(tmp_path, "gpt-image-2")
    assert isinstance(r, GPTImage2)
    wide = r.fit_size(Size(width=1920, height=1080))
    assert wide == Size(width=1920, height=1088) or wide == Size(width=1920, height=1072)
    banner = r.fit_size(Size(width=4000, height=1000))
    assert banner.width % 16 == 0 and banner.height % 16 == 0
    assert banner.width / banner.height <= 3.0 and banner.width <= 3840
    huge = r.fit_size(Size(width=4096, height=4096))
    assert huge.width * huge.height <= 3840 * 2160
    with pytest.raises(ConfigError, match="Did you mean 'openai/dall-e-3'"):
        renderer(tmp_path, "dalle-3")
    assert renderer(tmp_path, "gpt-image-1").fit_size(Size(width=1600, height=900)) == Size(
        width=1536, height=1024
    )
