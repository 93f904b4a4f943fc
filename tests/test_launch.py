"""The `imagent` launcher starts loading the embedded model while the command line imports,
for the commands that plan with it, and never changes how a command ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagent.cli.launch import embedded_model


@pytest.mark.parametrize(
    ("args", "env_llm", "warmed"),
    [
        (["plan", "a red bicycle"], None, "local/qwen2.5-coder-1.5b"),  # the default LLM
        (["generate", "x", "--llm=local/qwen2.5-coder-0.5b"], None, "local/qwen2.5-coder-0.5b"),
        (["plan", "x", "--llm", "local"], "openai/gpt-4o-mini", "local"),
        (["plan", "x", "--llm", "none"], None, None),  # rules only
        (["plan", "x"], "openai/gpt-4o-mini", None),  # a hosted model: nothing to load
        (["--profile", "openai", "plan", "x"], None, None),
        (["--profile", "local", "plan", "x"], "openai/gpt-4o-mini", None),  # as the app: the
        # environment's LLM wins over the profile's
        (["plan", "--json", "--user", "ann", "a red kite"], None, "local/qwen2.5-coder-1.5b"),
        (["plan", "x", "--llm", "local", "--llm", "none"], None, None),  # the last one wins
        (["--profile", "local", "--profile", "openai", "plan", "x"], None, None),
        (["plan", "--", "--llm", "local/foo"], "none", None),  # after --: the prompt itself
        (["plan", "--help"], None, None),  # ends before any model is needed
        (["generate", "--llm", "local"], None, None),  # no prompt: an error, at once
        (["memory", "list"], None, None),  # no planning
        (["bench", "run", "suite.jsonl"], None, None),
        ([], None, None),
    ],
)
def test_which_commands_warm_which_model(
    args: list[str], env_llm: str | None, warmed: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env_llm is None:
        monkeypatch.delenv("IMAGENT_LLM", raising=False)
    else:
        monkeypatch.setenv("IMAGENT_LLM", env_llm)
    assert embedded_model(args) == warmed


def test_a_bad_config_leaves_the_error_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_MAX_ROUNDS", "many")
    assert embedded_model(["plan", "x"]) is None
    launched = _launch(["plan", "x", "--llm", "none"], os.environ)
    assert launched.returncode == 2 and "IMAGENT_MAX_ROUNDS" in launched.stderr


@pytest.mark.slow
def test_a_refused_prompt_exits_cleanly_while_the_model_loads(default_model: Path) -> None:
    """An empty prompt is refused within the imports, while llama.cpp is still loading the
    model in the warm-up thread: the exit code is the refusal's, not a crash at exit."""
    launched = _launch(["plan", ""], os.environ)
    assert launched.returncode == 2, launched.stderr
    assert "empty" in launched.stderr.lower()


def _launch(args: list[str], env: os._Environ[str]) -> subprocess.CompletedProcess[str]:
    code = "from imagent.cli.launch import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
