"""dashscope/<qwen-image model> against the local fake of DashScope's documented API."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.dashscope import (
    DashScopeRenderer,
    QwenImage2,
    QwenImageEdit,
    QwenImageEditBasic,
)
from imagent.backends.retry import run_deadline
from imagent.core.errors import (
    AuthError,
    BackendError,
    BadImageError,
    ConfigError,
    MissingKeyError,
    ModerationError,
    OutcomeUnknownError,
)
from imagent.core.types import GenerationSpec, Size
from imagent.settings import Price, ProviderSettings, Settings
from tests.fakes.dashscope import FakeDashScope

pytestmark = pytest.mark.usefixtures("dashscope")


def settings(tmp_path: Path, **options: Any) -> Settings:
    section = ProviderSettings(options={"poll_wait_s": 0.01, **options}, timeout_s=5)
    return Settings(home=tmp_path, retry_wait_s=0, providers={"dashscope": section})


def renderer(tmp_path: Path, model: str, **options: Any) -> DashScopeRenderer:
    return registry.resolve("renderer", f"dashscope/{model}", settings(tmp_path, **options))  # type: ignore[return-value]


def spec(r: DashScopeRenderer, seeds: list[int] | None = None, **fields: Any) -> GenerationSpec:
    return GenerationSpec(
        brief="a red fox",
        prompt="A red fox in fresh snow, photographed at dawn",
        negative_prompt="blurry",
        size=r.fit_size(Size(width=1024, height=1024)),
        seeds=seeds or [7],
        **fields,
    )


def png_file(path: Path, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (64, 48), colour).save(path)
    return str(path)


async def test_sync_render_is_a_record_with_seed_request_id_and_cost(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    r = renderer(tmp_path, "qwen-image-max")
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.image.size == (1328, 1328) and one.seed == 7 and one.request_id
    assert one.cost_usd == pytest.approx(0.07) and one.revised_prompt is None
    [sent] = dashscope.submits
    assert sent["parameters"] == {
        "n": 1,
        "watermark": False,
        "seed": 7,
        "size": "1328*1328",
        "prompt_extend": False,
        "negative_prompt": "blurry",
    }
    assert sent["input"]["messages"][0]["content"] == [{"text": spec(r).prompt}]


async def test_plus_uses_the_task_api_polls_until_done_and_submits_once(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.running_polls = 3
    r = renderer(tmp_path, "qwen-image-plus")
    rendered = await r.render(spec(r, seeds=[1, 2]))
    await r.aclose()
    assert [one.seed for one in rendered] == [1, 2] and len(dashscope.submits) == 2
    assert dashscope.polls == 2 * 4
    sent = dashscope.submits[0]
    assert sent["input"] == {"prompt": spec(r).prompt, "negative_prompt": "blurry"}
    assert "negative_prompt" not in sent["parameters"]
    assert all(h.get("x-dashscope-async") == "enable" for h in dashscope.headers[:1])
    assert rendered[0].image.tobytes() != rendered[1].image.tobytes()


async def test_the_services_prompt_rewrite_is_off_by_default_and_reported_when_on(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    r = renderer(tmp_path, "qwen-image-plus", prompt_extend=True)
    [one] = await r.render(spec(r))
    await r.aclose()
    assert dashscope.submits[0]["parameters"]["prompt_extend"] is True
    assert one.revised_prompt == spec(r).prompt + ", rewritten with more detail"


async def test_sync_or_async_is_one_option(tmp_path: Path, dashscope: FakeDashScope) -> None:
    r = renderer(tmp_path, "qwen-image-plus", api="sync")
    await r.render(spec(r))
    await r.aclose()
    assert "messages" in dashscope.submits[0]["input"] and dashscope.polls == 0
    with pytest.raises(ConfigError, match="has no task API"):
        await renderer(tmp_path, "qwen-image-max", api="async").render(spec(r))


async def test_a_429_is_waited_out_then_the_render_succeeds(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.throttle = 1
    r = renderer(tmp_path, "qwen-image-max")
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.image.size == (1328, 1328) and len(dashscope.headers) == 2


async def test_a_submit_that_times_out_is_never_sent_again(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.submit_delay_s = 1.0
    r = registry.resolve(
        "renderer",
        "dashscope/qwen-image-plus",
        Settings(home=tmp_path, providers={"dashscope": ProviderSettings(timeout_s=0.2)}),
    )
    with pytest.raises(OutcomeUnknownError, match="not sent again"):
        await r.render(spec(r))  # type: ignore[arg-type]
    await r.aclose()
    assert len(dashscope.submits) == 1


async def test_waiting_for_a_task_stops_at_the_runs_deadline_with_its_id(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.running_polls = 10_000
    r = renderer(tmp_path, "qwen-image-plus", poll_wait_s=0.05)
    with run_deadline(0.5), pytest.raises(OutcomeUnknownError) as caught:
        await r.render(spec(r))
    await r.aclose()
    assert caught.value.task_id in dashscope.tasks and len(dashscope.submits) == 1


@pytest.mark.parametrize(
    "end,prompt,error,message",
    [
        ("SUCCEEDED", "FORBIDDEN fox", ModerationError, "moderation"),
        ("FAILED", "a fox", BackendError, "Algorithm error"),
        ("CANCELED", "a fox", BackendError, "canceled"),
    ],
)
async def test_task_end_states_become_typed_errors(
    tmp_path: Path,
    dashscope: FakeDashScope,
    end: str,
    prompt: str,
    error: type[BackendError],
    message: str,
) -> None:
    dashscope.task_end = end
    r = renderer(tmp_path, "qwen-image-plus")
    with pytest.raises(error, match=message):
        await r.render(spec(r).model_copy(update={"prompt": prompt}))
    await r.aclose()
    assert len(dashscope.submits) == 1


async def test_an_unknown_task_says_it_expired(tmp_path: Path, dashscope: FakeDashScope) -> None:
    r = renderer(tmp_path, "qwen-image-plus")
    with pytest.raises(BackendError, match="unknown or expired"):
        await r._wait("no-such-task")
    await r.aclose()


async def test_an_expired_result_url_is_signed_again_by_polling_the_task(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.expired_signings = 1
    r = renderer(tmp_path, "qwen-image-plus")
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.image.size == (1328, 1328)
    assert len(dashscope.submits) == 1 and dashscope.downloads == 2


async def test_an_expired_sync_result_is_reported_not_rendered_again(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.expired_signings = 5
    r = renderer(tmp_path, "qwen-image-max")
    with pytest.raises(BackendError, match="expire") as caught:
        await r.render(spec(r))
    await r.aclose()
    assert caught.value.status == 403 and len(dashscope.submits) == 1


async def test_edit_sends_one_to_three_images_in_order_as_data_urls(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    red = png_file(tmp_path / "red.png", (250, 10, 10))
    blue = Image.new("RGB", (40, 40), (10, 10, 250))
    buffer = io.BytesIO()
    blue.save(buffer, format="JPEG")
    blue_url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    r = renderer(tmp_path, "qwen-image-edit-plus")
    assert isinstance(r, QwenImageEdit)
    s = spec(r, reference_images=[red, blue_url])
    [one] = await r.render(s)
    await r.aclose()
    content = dashscope.submits[0]["input"]["messages"][0]["content"]
    assert [list(part) for part in content] == [["image"], ["image"], ["text"]]
    assert content[0]["image"].startswith("data:image/png;base64,")
    assert content[1]["image"].startswith("data:image/jpeg;base64,")
    red_, _, blue_ = one.image.getpixel((0, 0))  # type: ignore[misc]
    assert red_ > 200 and blue_ < 60  # the fake tints its output with image 1


async def test_edit_models_need_images_and_take_at_most_three(tmp_path: Path) -> None:
    r = renderer(tmp_path, "qwen-image-edit-max")
    with pytest.raises(ConfigError, match="edits images"):
        await r.render(spec(r))
    path = png_file(tmp_path / "a.png", (1, 2, 3))
    with pytest.raises(ConfigError, match="at most 3"):
        await r.render(spec(r, reference_images=[path] * 4))


async def test_the_first_edit_model_sends_no_size(tmp_path: Path, dashscope: FakeDashScope) -> None:
    r = renderer(tmp_path, "qwen-image-edit")
    assert isinstance(r, QwenImageEditBasic)
    path = png_file(tmp_path / "a.png", (1, 2, 3))
    await r.render(spec(r, reference_images=[path]))
    await r.aclose()
    params = dashscope.submits[0]["parameters"]
    assert "size" not in params and "prompt_extend" not in params


async def test_a_missing_key_names_its_variable_and_a_wrong_key_is_not_echoed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    r = renderer(tmp_path, "qwen-image-max")
    with pytest.raises(MissingKeyError, match="DASHSCOPE_API_KEY"):
        await r.render(spec(r))
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-wrong-key-abcdefghijklmnop")
    r = renderer(tmp_path, "qwen-image-max")
    with pytest.raises(AuthError, match="Invalid API-key") as caught:
        await r.render(spec(r))
    await r.aclose()
    assert "sk-wrong" not in str(caught.value)


async def test_a_result_url_on_a_private_address_is_refused(
    tmp_path: Path, dashscope: FakeDashScope, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGENT_IMAGE_ALLOW_NETWORKS")
    r = renderer(tmp_path, "qwen-image-max")
    with pytest.raises(BadImageError, match="private, loopback"):
        await r.render(spec(r))
    await r.aclose()


async def test_a_configured_price_overrides_the_table(tmp_path: Path) -> None:
    s = settings(tmp_path)
    s.providers["dashscope"].prices["qwen-image-max"] = Price(per_image=0.5)
    r: DashScopeRenderer = registry.resolve("renderer", "dashscope/qwen-image-max", s)  # type: ignore[assignment]
    [one] = await r.render(spec(r))
    await r.aclose()
    assert one.cost_usd == 0.5


def test_families_and_their_sizes(tmp_path: Path) -> None:
    fixed = renderer(tmp_path, "qwen-image-plus-2026-01-09")
    assert type(fixed) is DashScopeRenderer and fixed.price_per_image() == pytest.approx(0.028)
    assert fixed.fit_size(Size(width=1920, height=1080)) == Size(width=1664, height=928)
    series2 = renderer(tmp_path, "qwen-image-2.0-pro")
    assert isinstance(series2, QwenImage2) and series2.supports_reference_images
    assert series2.fit_size(Size(width=4096, height=4096)) == Size(width=2048, height=2048)
    small = series2.fit_size(Size(width=200, height=100))
    assert 512 * 512 <= small.width * small.height <= 2048 * 2048
    assert small.width / small.height == pytest.approx(2, rel=0.05)
    edit = renderer(tmp_path, "qwen-image-edit-plus")
    wide = edit.fit_size(Size(width=4000, height=1000))
    assert wide.height >= 512 and wide.width <= 2048
    with pytest.raises(ConfigError, match="needs a model"):
        registry.resolve("renderer", "dashscope", settings(tmp_path))
    with pytest.raises(ConfigError, match="Did you mean 'dashscope/qwen-image-plus'"):
        renderer(tmp_path, "qwen-imag-plus")
    assert type(renderer(tmp_path, "qwen-image-3.0")) is QwenImage2  # new names pass through


async def test_renders_in_flight_stay_within_the_renderers_limit(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    dashscope.submit_delay_s = 0.05
    r = renderer(tmp_path, "qwen-image-max")
    rendered = await r.render(spec(r, seeds=[1, 2, 3, 4, 5]))
    await r.aclose()
    assert [one.seed for one in rendered] == [1, 2, 3, 4, 5]
    assert dashscope.most_in_flight == r.max_concurrency == 2


async def test_a_reference_larger_than_the_model_takes_is_scaled_down(
    tmp_path: Path, dashscope: FakeDashScope
) -> None:
    wide = tmp_path / "wide.png"
    Image.new("RGB", (3600, 600), (5, 5, 5)).save(wide)
    r = renderer(tmp_path, "qwen-image-edit-plus")
    await r.render(spec(r, reference_images=[str(wide)]))
    await r.aclose()
    sent = dashscope.submits[0]["input"]["messages"][0]["content"][0]["image"]
    with Image.open(io.BytesIO(base64.b64decode(sent.split(",", 1)[1]))) as image:
        assert image.size == (3072, 512)
