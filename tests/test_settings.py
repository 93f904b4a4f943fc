from pathlib import Path

import pytest

from imagent.settings import Settings


def test_env_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGENT_RENDERER", "fake/x")
    monkeypatch.setenv("IMAGENT_JUDGES", "instruction, fake/pass")
    s = Settings()
    assert s.renderer == "fake/x" and s.judges == ["instruction", "fake/pass"]


def test_toml_file_in_home_is_read(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('renderer = "fake/toml"\nmax_rounds = 1\n')
    s = Settings()
    assert (s.renderer, s.max_rounds) == ("fake/toml", 1)


def test_env_beats_toml(_isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text('renderer = "fake/toml"\n')
    monkeypatch.setenv("IMAGENT_RENDERER", "fake/env")
    assert Settings().renderer == "fake/env"


def test_home_comes_from_imagent_home(_isolated_home: Path) -> None:
    assert Settings().runs_dir == _isolated_home / "runs"


def test_provider_sections_come_from_the_toml_file(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    (_isolated_home / "config.toml").write_text(
        '[providers.openai]\nbase_url = "http://127.0.0.1:8000/v1"\nconcurrency = 2\n'
        '[providers.openai.prices."gpt-4o-mini"]\ninput_per_mtok = 0.15\n'
    )
    s = Settings()
    openai = s.provider("openai")
    assert (openai.base_url, openai.concurrency) == ("http://127.0.0.1:8000/v1", 2)
    assert openai.prices["gpt-4o-mini"].input_per_mtok == 0.15
    assert s.provider("dashscope").base_url is None  # defaults when the file has no section
