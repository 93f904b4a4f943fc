"""`imagent generate … --llm openai/<model>` end to end against a loopback fake server: a 429
is survived, a moderation refusal is one clear error, costs land in the Result, and the key
appears in no output."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from imagent.backends.llm.fake import minimal_instance
from imagent.cli import doctor as doctor_mod
from imagent.cli.app import app
from imagent.settings import Settings
from imagent.testing import ChatRequest, FakeOpenAIServer
from imagent.testing.openai_faults import moderation_refusal, rate_limited

from .fake_openai import KEY, serving

runner = CliRunner()
CHALKBOARD = "A chalkboard showing the result of 17 x 23, written large"
HOSTED = ["--llm", "openai/gpt-4o-mini", "--renderer", "fake", "--judge", "instruction"]


def planner(request: ChatRequest) -> Any:
    """A hosted model that plans: it finds the computation the request leaves open."""
    if request.schema and "gaps" in request.schema.get("properties", {}):
        gap = {"span": "the result of 17 x 23", "route": "reason", "expression": "17 * 23"}
        return {"gaps": [gap]}
    return minimal_instance(request.schema) if request.schema else "ok"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    monkeypatch.setenv("IMAGENT_MEMORY", "none")
    with serving(monkeypatch, responder=planner) as server:
        yield server


def outputs(result: Any, run_dir: Path | None) -> list[bytes]:
    """Everything a run showed or wrote: the terminal, run.json, trace.jsonl, the PNGs."""
    shown = [result.stdout.encode(), result.stderr.encode()]
    files = [p.read_bytes() for p in run_dir.rglob("*") if p.is_file()] if run_dir else []
    return shown + files


def test_generate_plans_with_a_hosted_model_and_survives_a_429(server: FakeOpenAIServer) -> None:
    server.fail_next(rate_limited(0.2))
    result = runner.invoke(app, ["generate", CHALKBOARD, *HOSTED, "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "done" and data["llm"] == "openai/gpt-4o-mini"
    assert "391" in data["final_prompt"]
    assert len(server.chat_requests) == data["usage"]["llm_calls"] + 1  # the 429 was retried
    call = data["usage"]["calls"][0]
    assert call["model"] == "openai/gpt-4o-mini" and call["step"] == "plan"
    assert call["cost_known"] and call["cost_usd"] > 0
    assert data["usage"]["cost_usd"] == pytest.approx(
        sum(c["cost_usd"] for c in data["usage"]["calls"]), abs=1e-6
    )
    assert not any(KEY.encode() in blob for blob in outputs(result, Path(data["run_dir"])))


def test_a_moderation_refusal_is_one_clear_error_and_not_retried(server: FakeOpenAIServer) -> None:
    server.fail_next(moderation_refusal())
    result = runner.invoke(app, ["generate", "a poster", *HOSTED])
    said = " ".join(result.stderr.split())
    assert result.exit_code == 1
    assert "refused by moderation: Input data may contain inappropriate content" in said
    assert "code data_inspection_failed" in said and len(server.chat_requests) == 1
    assert KEY not in result.output


def test_a_rejected_key_says_which_variable_and_never_prints_it(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-secret-key-9876543210zyxw"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    result = runner.invoke(app, ["generate", "a poster", *HOSTED])
    said = " ".join(result.stderr.split())
    assert result.exit_code == 1 and "the key in OPENAI_API_KEY was rejected" in said
    assert wrong not in result.output


def test_a_profile_flag_picks_the_backends(server: FakeOpenAIServer) -> None:
    result = runner.invoke(
        app, ["--profile", "openai", "plan", "a red bicycle", "--renderer", "fake", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["llm"] == "openai/gpt-4.1-mini"
    unknown = runner.invoke(app, ["--profile", "opanai", "plan", "a red bicycle"])
    said = " ".join(unknown.stderr.split())
    assert unknown.exit_code == 1 and "Did you mean 'openai'" in said
    assert "[profiles.<name>]" in said


def ping_report(settings: Settings) -> tuple[bool, str]:
    console = Console(file=io.StringIO(), width=300)
    healthy = doctor_mod.report(console, settings, ping=True)
    return healthy, console.file.getvalue()  # type: ignore[attr-defined]


def test_doctor_ping_calls_each_configured_hosted_backend(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        llm="openai/gpt-4o-mini",
        renderer="fake",
        judges=["instruction", "vlm/openai/gpt-4o-mini"],
    )
    healthy, text = ping_report(settings)
    assert healthy, text
    assert "ping llm openai/gpt-4o-mini" in text and "ping judge vlm/openai/gpt-4o-mini" in text
    assert f"gpt-4o-mini at {server.base_url} answered" in text
    assert "ping renderer fake" in text and "nothing remote to check" in text
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-secret-key-9876543210zyxw")
    healthy, text = ping_report(settings)
    assert not healthy and "the key in OPENAI_API_KEY was rejected" in text
    assert "sk-wrong-secret-key-9876543210zyxw" not in text


def test_doctor_has_a_ping_flag(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_LLM", "openai/gpt-4o-mini")
    monkeypatch.setenv("IMAGENT_RENDERER", "fake")
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction")
    result = runner.invoke(app, ["doctor", "--ping"])
    assert "ping" in result.stdout and len(server.chat_requests) == 1


async def test_a_runs_deadline_caps_the_providers_retry_after(
    server: FakeOpenAIServer, settings: Settings
) -> None:
    import time

    from imagent.agent.agent import Agent
    from imagent.core.errors import RunFailedError
    from imagent.core.types import Request, RunOptions

    server.fail_next(rate_limited(30))
    request = Request(prompt="a poster", options=RunOptions(deadline_s=2))
    started = time.monotonic()
    async with Agent(settings, llm="openai/gpt-4o-mini", renderer="fake", memory="none") as agent:
        with pytest.raises(RunFailedError, match="would pass the run's deadline"):
            await agent.run(request)
    assert time.monotonic() - started < 1.5 and len(server.chat_requests) == 1
