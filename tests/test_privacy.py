"""What images carry out of the machine: every PNG is marked as AI-generated (IPTC digital
source type in XMP); with private outputs the prompt and whatever came from memory are left
out of its metadata, while the marker, seed and ids stay."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from imagent.agent.agent import Agent
from imagent.backends.renderer.fake import FakeRenderer
from imagent.cli.app import app
from imagent.runs.png import (
    IPTC_EXT,
    TRAINED_ALGORITHMIC_MEDIA,
    read_png_record,
    read_xmp,
    save_png,
)
from imagent.settings import Settings

from .conftest import TODAY

SECRET = "Aunt Mathilda's lighthouse"
NS = {"Iptc4xmpExt": IPTC_EXT, "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}


def run(settings: Settings, prompt: str, memory: Any = "none") -> Any:
    agent = Agent(
        settings,
        llm="none",
        renderer=FakeRenderer(),
        judges=["instruction"],
        memory=memory,
        today=TODAY,
    )
    return agent.run_sync(prompt, seed=7)


def pngs(result: Any) -> list[Path]:
    return sorted(Path(result.run_dir).rglob("*.png"))


def xmp_fields(path: Path) -> dict[str, str]:
    packet = read_xmp(path)
    body = packet[packet.index("<x:xmpmeta") : packet.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    root = ET.fromstring(body)  # well-formed XML, or this raises
    description = root.find("rdf:RDF/rdf:Description", NS)
    assert description is not None
    return {child.tag.split("}")[1]: child.text or "" for child in description}


def test_every_png_is_marked_as_ai_generated_and_keeps_its_record(settings: Settings) -> None:
    result = run(settings, f"a poster of {SECRET}")
    assert len(pngs(result)) >= 2  # the candidate and final.png
    for path in pngs(result):
        fields = xmp_fields(path)
        assert fields["DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
        assert fields["AISystemUsed"] == "fake"
        assert SECRET in fields["AIPromptInformation"]
        record = read_png_record(path)
        assert SECRET in record["prompt"] and record["seed"] == 7
        with Image.open(path) as image:
            assert SECRET in image.text["parameters"]


def test_private_outputs_leave_the_prompt_and_memory_out_and_keep_marker_seed_and_ids(
    settings: Settings,
) -> None:
    private = settings.model_copy(update={"private_outputs": True})
    result = run(private, f"a poster of {SECRET}")
    assert SECRET in result.final_prompt  # the run itself still has it, on this machine
    for path in pngs(result):
        assert SECRET.encode() not in path.read_bytes()
        assert result.final_prompt.encode() not in path.read_bytes()
        record = read_png_record(path)
        assert record["private"] is True and "prompt" in record["withheld"]
        assert (record["seed"], record["run_id"], record["renderer"]) == (7, result.run_id, "fake")
        fields = xmp_fields(path)
        assert fields["DigitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
        assert "AIPromptInformation" not in fields
        with Image.open(path) as image:
            assert image.text["parameters"].startswith("[prompt withheld")
            assert "Seed: 7" in image.text["parameters"]


def test_private_png_leaves_out_every_field_that_may_carry_words(tmp_path: Path) -> None:
    record = {
        "run_id": "r1",
        "task_id": "page",
        "prompt": SECRET,
        "negative_prompt": f"no {SECRET}",
        "revised_prompt": SECRET,
        "seed": 3,
    }
    path = save_png(Image.new("RGB", (64, 64)), tmp_path / "x.png", record, private=True)
    assert SECRET.encode() not in path.read_bytes()
    saved = read_png_record(path)
    assert saved["withheld"] == ["prompt", "negative_prompt", "revised_prompt"]
    assert (saved["run_id"], saved["task_id"], saved["seed"]) == ("r1", "page", 3)


def test_xmp_text_is_escaped(tmp_path: Path) -> None:
    path = save_png(
        Image.new("RGB", (64, 64)), tmp_path / "x.png", {"prompt": 'a <b> & "c"', "renderer": "r"}
    )
    assert xmp_fields(path)["AIPromptInformation"] == 'a <b> & "c"'


runner = CliRunner()
FAKES = ["--llm", "none", "--renderer", "fake", "--judge", "instruction"]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_cli_makes_outputs_private_by_flag_or_variable(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    args = ["generate", f"a poster of {SECRET}", *FAKES, "--json"]
    if how == "flag":
        args.append("--private")
    else:
        monkeypatch.setenv("IMAGENT_PRIVATE_OUTPUTS", "1")
    made = runner.invoke(app, args)
    assert made.exit_code == 0, made.output
    final = Path(json.loads(made.stdout)["final_image"])
    assert SECRET.encode() not in final.read_bytes()
    assert read_png_record(final)["private"] is True
