"""The main job on the embedded defaults: the real local model, the layout renderer and OCR.

No fakes here: this is what `imagent generate "..."` does on a fresh install, offline.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagent.agent.agent import Agent
from imagent.cli.app import app
from imagent.core.types import GapRoute, GapStatus, RunStatus
from imagent.settings import Settings

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp", reason="needs the [local] extra: pip install 'imagent[local]'")
pytest.importorskip(
    "rapidocr_onnxruntime", reason="needs the [ocr] extra: pip install 'imagent[ocr]'"
)

CHALKBOARD = "A chalkboard showing the result of 17 x 23, written large"


def test_generate_chalkboard_reads_391(tmp_path: Path) -> None:
    """The issue's acceptance run, through the CLI as a user types it."""
    result = CliRunner().invoke(app, ["generate", CHALKBOARD, "--json", "--seed", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "done"
    reason = [g for g in data["gaps"] if g["route"] == "reason"]
    assert reason and reason[0]["resolution"] == "391" and reason[0]["status"] == "resolved"
    assert "391" in data["final_prompt"] and "17 x 23 (391)" in data["final_prompt"]
    [task] = data["tasks"]
    verdicts = {v["item_id"]: v for v in task["best"]["verdicts"]}
    text_items = [i for i in task["checklist"] if i["kind"] == "text"]
    assert text_items and all(verdicts[i["id"]]["passed"] for i in text_items)
    assert any(
        "ocr" in verdicts[i["id"]]["judge"] for i in text_items
    )  # OCR read 391 off the image
    run_dir = Path(data["run_dir"])
    assert (run_dir / "final.png").is_file() and (run_dir / "run.json").is_file()
    # Two planning calls (gaps, then what the picture implies); the rules computed 17 x 23.
    assert data["usage"]["llm_calls"] == 2


async def test_plain_request_takes_the_fast_path(settings: Settings) -> None:
    result = await Agent(settings, memory="none").plan("a red bicycle")
    assert result.status is RunStatus.DONE
    assert result.gaps == []
    assert result.usage.llm_calls == 2  # gaps, then the picture's implied details: no grounding


async def test_receipt_total_is_computed_not_guessed(settings: Settings) -> None:
    prompt = "a receipt for 3 coffees at $4.50 and 2 muffins at $3.25 showing the total"
    result = await Agent(settings, memory="none").plan(prompt)
    [gap] = [g for g in result.gaps if g.route is GapRoute.REASON]
    assert (gap.status, gap.resolution) == (GapStatus.RESOLVED, "$20.00")
    assert "$20.00" in result.final_prompt


def test_a_chinese_poster_shows_its_text_and_ocr_reads_it_back() -> None:
    """`一张写着"新年快乐"的红色海报`: the text the user quoted, drawn in a CJK font."""
    prompt = '一张写着"新年快乐"的红色海报'
    args = ["generate", prompt, "--json", "--seed", "3", "--llm", "none", "--judge", "ocr"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [task] = data["tasks"]
    assert [b["text"] for b in task["spec"]["text"]] == ["新年快乐"]
    verdicts = {v["item_id"]: v for v in task["best"]["verdicts"]}
    assert verdicts["text1"]["passed"] is True and "ocr" in verdicts["text1"]["judge"]
