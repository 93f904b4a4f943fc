"""`imagent generate` end to end with each real renderer against its local fake.

Switching renderer is one flag; throttling and expiring result URLs are survived; edits
with a reference image work; and no key ends up in any output.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from typer.testing import CliRunner

from imagent.cli.app import app
from tests.fakes.a1111 import FakeA1111
from tests.fakes.comfyui import FakeComfyUI, txt2img_workflow
from tests.fakes.dashscope import FakeDashScope
from tests.fakes.fixtures import Switchboard
from tests.fakes.openai_images import FakeOpenAIImages

runner = CliRunner()
PROMPT = "A red fox in fresh snow at dawn"


@pytest.fixture(autouse=True)
def _no_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")


def generate(renderer: str, *extra: str) -> dict[str, Any]:
    args = ["generate", PROMPT, "--renderer", renderer, "--llm", "none", "--judge", "instruction"]
    result = runner.invoke(app, [*args, "--seed", "5", "--max-rounds", "0", *extra, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["status"] == "done" and Path(data["final_image"]).is_file()
    assert data["renderer"] == renderer
    return data


def workflow(home: Path) -> str:
    folder = home / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "txt2img.json").write_text(json.dumps(txt2img_workflow()))
    return "comfyui/txt2img.json"


@pytest.mark.parametrize(
    "renderer,fake,seed",
    [
        ("dashscope/qwen-image-max", "dashscope", 5),
        ("dashscope/qwen-image-plus", "dashscope", 5),
        ("openai/gpt-image-1", "openai_images", None),
        ("openai/dall-e-3", "openai_images", None),
        ("comfyui", "comfyui", 5),
        ("a1111", "a1111", 5),
    ],
)
def test_switching_renderer_is_one_flag(
    request: pytest.FixtureRequest, _isolated_home: Path, renderer: str, fake: str, seed: int | None
) -> None:
    request.getfixturevalue(fake)
    if renderer == "comfyui":
        renderer = workflow(_isolated_home)
    data = generate(renderer)
    best = data["tasks"][0]["best"]
    assert best["seed"] == seed and data["usage"]["renders"] == 1
    assert data["usage"]["render_cost_usd"] == pytest.approx(best["cost_usd"])
    if not renderer.startswith("a1111"):
        assert best["request_id"]
    with Image.open(data["final_image"]) as image:
        assert image.size == tuple(int(v) for v in data["tasks"][0]["spec"]["size"].values())


def test_a_429_and_an_expired_result_url_are_survived(dashscope: FakeDashScope) -> None:
    dashscope.throttle = 1
    dashscope.expired_signings = 1
    data = generate("dashscope/qwen-image-plus")
    assert len(dashscope.submits) == 1 and dashscope.downloads == 2
    assert data["tasks"][0]["best"]["cost_usd"] == pytest.approx(0.028)


def test_an_edit_with_a_reference_image_on_dashscope(
    dashscope: FakeDashScope, tmp_path: Path
) -> None:
    source = tmp_path / "jacket.png"
    Image.new("RGB", (600, 600), (230, 30, 30)).save(source)
    data = generate("dashscope/qwen-image-edit-plus", "--image", str(source))
    content = dashscope.submits[0]["input"]["messages"][0]["content"]
    assert content[0]["image"].startswith("data:image/png;base64,") and "text" in content[1]
    with Image.open(data["final_image"]) as image:
        red, _, blue = image.convert("RGB").getpixel((0, 0))  # type: ignore[misc]
    assert red > 200 and blue < 60


def test_a_reference_image_can_be_a_url(
    dashscope: FakeDashScope, plugboard: Switchboard, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (500, 500), (240, 240, 10)).save(buffer, format="JPEG")
    photo = buffer.getvalue()
    base = plugboard.plug(
        "photos",
        Starlette(
            routes=[Route("/jacket.jpg", lambda r: Response(photo, media_type="image/jpeg"))]
        ),
    )
    data = generate("dashscope/qwen-image-edit-plus", "--image", f"{base}/jacket.jpg")
    sent = dashscope.submits[0]["input"]["messages"][0]["content"][0]["image"]
    assert sent.startswith("data:image/jpeg;base64,")
    trace = (Path(data["run_dir"]) / "trace.jsonl").read_text()
    assert f"reference image {base}/jacket.jpg (500x500)" in trace


def test_an_edit_with_a_reference_image_and_mask_on_openai(
    openai_images: FakeOpenAIImages, tmp_path: Path
) -> None:
    source, mask = tmp_path / "room.jpg", tmp_path / "mask.png"
    Image.new("RGB", (512, 512), (20, 30, 230)).save(source, format="JPEG")
    Image.new("L", (512, 512), 0).save(mask)
    data = generate("openai/gpt-image-1", "--image", str(source), "--mask", str(mask))
    [parts] = openai_images.files
    assert [p.name for p in parts] == ["image[]", "mask"]
    spec = data["tasks"][0]["spec"]
    assert spec["reference_images"] == [str(source)] and spec["mask"] == str(mask)
    with Image.open(data["final_image"]) as image:
        red, _, blue = image.convert("RGB").getpixel((0, 0))  # type: ignore[misc]
    assert blue > 200 and red < 60


def test_a_renderer_that_takes_no_images_says_so(dashscope: FakeDashScope, tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    Image.new("RGB", (64, 64)).save(source)
    data = generate("dashscope/qwen-image-max", "--image", str(source))
    assert data["tasks"][0]["spec"]["reference_images"] == []
    trace = Path(data["run_dir"]) / "trace.jsonl"
    assert "does not use reference images" in trace.read_text()


def test_no_key_appears_in_any_output(
    dashscope: FakeDashScope,
    a1111: FakeA1111,
    monkeypatch: pytest.MonkeyPatch,
    _isolated_home: Path,
) -> None:
    monkeypatch.setenv("A1111_API_AUTH", "artist:a1111-password-123")
    a1111.auth = "artist:a1111-password-123"
    dashscope.expired_signings = 1
    outputs = [generate("dashscope/qwen-image-plus"), generate("a1111")]
    secrets = [dashscope.key.encode(), b"a1111-password-123", b"YXJ0aXN0OmExMTEx"]
    files = [p for p in _isolated_home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".png" for p in files) and any(p.name == "trace.jsonl" for p in files)
    for path in files:
        data = path.read_bytes()
        assert not any(secret in data for secret in secrets), path
    assert not any(s.decode() in json.dumps(outputs) for s in secrets)


def test_unknown_comfyui_workflow_and_missing_keys_fail_clearly(
    comfyui: FakeComfyUI, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--llm", "none", "--judge", "instruction"]
    result = runner.invoke(app, ["generate", PROMPT, "--renderer", "comfyui/nope.json", *args])
    assert result.exit_code != 0 and "not found" in result.output
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = runner.invoke(app, ["generate", PROMPT, "--renderer", "openai/gpt-image-1", *args])
    assert result.exit_code != 0 and "OPENAI_API_KEY" in result.output
