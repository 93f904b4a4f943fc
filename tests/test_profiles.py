"""Profiles: one flag picks planner, renderer and judges; anything set explicitly wins."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from imagent.settings import Settings


def test_a_profile_fills_the_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_PROFILE", "qwen")
    s = Settings()
    assert (s.llm, s.renderer) == ("dashscope/qwen-plus", "dashscope/qwen-image-plus")
    assert s.judges == ["instruction", "ocr", "vlm/dashscope/qwen-vl-max"]


def test_what_is_set_explicitly_beats_the_profile(
    _isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('profile = "openai"\nrenderer = "layout/card"\n')
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction")
    s = Settings()
    assert s.llm == "openai/gpt-4.1-mini"  # from the profile
    assert (s.renderer, s.judges) == ("layout/card", ["instruction"])  # file and env win
    assert Settings(llm="none").llm == "none"  # and arguments


def test_your_own_profiles_live_in_the_config_file(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text(
        'profile = "studio"\n'
        '[profiles.studio]\nllm = "vllm/qwen2.5-72b"\njudges = ["instruction", "vlm/vllm/qwen2.5-vl"]\n'
    )
    s = Settings()
    assert (s.llm, s.judges) == ("vllm/qwen2.5-72b", ["instruction", "vlm/vllm/qwen2.5-vl"])
    assert s.renderer == "layout/poster"  # the profile left it to the default


def test_local_is_the_embedded_defaults() -> None:
    assert Settings(profile="local").llm == Settings().llm


def test_an_unknown_profile_names_the_known_ones_and_the_closest() -> None:
    with pytest.raises(ValidationError, match=r"Did you mean 'qwen'\?.*local, openai, qwen"):
        Settings(profile="qwne")
