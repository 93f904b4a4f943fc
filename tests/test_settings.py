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
