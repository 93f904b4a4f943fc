"""Run files carry a schema version: older ones still load, show and resume; newer or corrupt
ones say clearly why they cannot be read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagent.agent.agent import Agent
from imagent.cli.app import app
from imagent.core.errors import RunFileError
from imagent.core.types import RUN_SCHEMA_VERSION, RunStatus
from imagent.runs.store import RunStore
from imagent.settings import Settings

V1 = Path(__file__).parent / "data" / "runs" / "v1"
V1_ID = "20261127-063150-dcf6be"


@pytest.fixture
def old_run(settings: Settings) -> Path:
    """A run folder written by imagent 0.1 (run schema 1), placed in this data folder."""
    folder = settings.runs_dir / "2026-11-27" / V1_ID
    folder.mkdir(parents=True)
    for name in ("run.json", "trace.jsonl"):
        shutil.copy(V1 / name, folder / name)
    return folder


def test_a_version_1_run_loads_as_a_graph_of_one_task(settings: Settings, old_run: Path) -> None:
    result = RunStore(settings.runs_dir).load(V1_ID)
    assert result.schema_version == RUN_SCHEMA_VERSION
    assert result.status is RunStatus.DONE and len(result.tasks) == 1
    task = result.tasks[0]
    assert "391" in task.final_prompt and task.best is not None and task.checklist
    assert result.best is task.best and result.spec is task.spec
    assert result.run_dir == str(old_run)  # paths follow the folder to where it is now
    assert result.final_image == str(old_run / "final.png")
    assert result.usage.llm_cost_usd == 0.0 and result.usage.cost_usd == 0.0


def test_runs_show_and_list_read_an_old_run(settings: Settings, old_run: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["runs", "show", V1_ID[:15]])
    assert shown.exit_code == 0, shown.output
    assert "391" in shown.stdout and "Checklist" in shown.stdout
    listed = runner.invoke(app, ["runs", "list"], env={"COLUMNS": "200"})
    assert V1_ID in listed.stdout and "unverified" in listed.stdout


async def test_resuming_a_finished_old_run_returns_it(settings: Settings, old_run: Path) -> None:
    result = await Agent(settings, llm="none", memory="none").resume(V1_ID)
    assert result.status is RunStatus.DONE and result.run_id == V1_ID


def test_a_run_from_a_newer_version_is_refused_with_the_reason(
    settings: Settings, old_run: Path
) -> None:
    data = json.loads((old_run / "run.json").read_text())
    data["schema_version"] = RUN_SCHEMA_VERSION + 1
    (old_run / "run.json").write_text(json.dumps(data))
    with pytest.raises(RunFileError, match=r"newer imagent.*Upgrade"):
        RunStore(settings.runs_dir).load(V1_ID)
    shown = CliRunner().invoke(app, ["runs", "show", V1_ID])
    assert shown.exit_code == 1 and "newer imagent" in shown.output


def test_a_corrupt_run_file_names_the_file(settings: Settings, old_run: Path) -> None:
    (old_run / "run.json").write_text('{"run_id": "x", ')
    with pytest.raises(RunFileError, match=r"run\.json is not valid JSON"):
        RunStore(settings.runs_dir).load(V1_ID)


async def test_new_runs_are_written_with_the_current_version(settings: Settings) -> None:
    result = await Agent(settings, llm="none", renderer="fake", memory="none").run("a cat")
    saved = json.loads((Path(result.run_dir or "") / "run.json").read_text())
    assert saved["schema_version"] == RUN_SCHEMA_VERSION and len(saved["tasks"]) == 1
