"""diffusers/<folder> with a tiny random pipeline built from configs, on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
pytest.importorskip("torch", reason="the diffusers extra is not installed")

from imagent import registry
from imagent.cli.app import app
from imagent.core.errors import ConfigError
from imagent.core.types import GenerationSpec, Size
from imagent.settings import ProviderSettings, Settings

STEPS = {"steps": 2, "guidance_scale": 1.0}


@pytest.fixture
def tiny(tiny_pipeline: Path) -> Path:
    return tiny_pipeline


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("IMAGENT_PROVIDERS", json.dumps({"diffusers": {"options": STEPS}}))
    monkeypatch.setenv("IMAGENT_MEMORY", "none")


def spec(seeds: list[int], **fields: object) -> GenerationSpec:
    return GenerationSpec(
        brief="a fox", prompt="a red fox", size=Size(width=96, height=64), seeds=seeds, **fields
    )


async def test_seeds_are_reproducible_and_sizes_honoured(tmp_path: Path, tiny: Path) -> None:
    settings = Settings(home=tmp_path, providers={"diffusers": ProviderSettings(options=STEPS)})
    renderer = registry.resolve("renderer", f"diffusers/{tiny}", settings)
    first = await renderer.render(spec([1, 2]))
    again = await renderer.render(spec([1]))
    assert [one.seed for one in first] == [1, 2] and first[0].image.size == (96, 64)
    assert first[0].image.tobytes() == again[0].image.tobytes()
    assert first[0].image.tobytes() != first[1].image.tobytes()
    source, mask = tmp_path / "src.png", tmp_path / "mask.png"
    Image.new("RGB", (80, 80), (200, 20, 20)).save(source)
    Image.new("L", (80, 80), 255).save(mask)
    [edited] = await renderer.render(spec([1], reference_images=[str(source)]))
    [painted] = await renderer.render(spec([1], reference_images=[str(source)], mask=str(mask)))
    assert edited.image.size == painted.image.size == (96, 64)
    assert edited.image.tobytes() != first[0].image.tobytes()


def test_generate_runs_end_to_end_text_and_image_to_image(tmp_path: Path, tiny: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "src.png"
    Image.new("RGB", (64, 64), (20, 200, 20)).save(source)
    args = ["--renderer", f"diffusers/{tiny}", "--llm", "none", "--judge", "instruction"]
    for extra in ([], ["--image", str(source)]):
        result = runner.invoke(
            app,
            ["generate", "a red fox", *args, "--size", "64x64", "--seed", "3", *extra, "--json"],
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["tasks"][0]["best"]["seed"] == 3 and Path(data["final_image"]).is_file()
        assert data["tasks"][0]["spec"]["reference_images"] == ([str(source)] if extra else [])


def test_a_folder_without_a_pipeline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="never downloads"):
        registry.resolve("renderer", "diffusers/stabilityai/sd-turbo", Settings(home=tmp_path))
