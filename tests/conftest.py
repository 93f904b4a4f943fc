"""Test session setup: no network but loopback, a fresh data folder per test, no retry waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from imagent.settings import Settings

TODAY = date(2026, 11, 25)
pytest_plugins = ["tests.fakes.fixtures"]  # loopback fakes of the hosted image APIs


@pytest.fixture(scope="session")
def shared_model_dir(request: pytest.FixtureRequest) -> Path:
    """Embedded model files are assembled once per checkout (in .pytest_cache), not per test."""
    return Path(request.config.cache.mkdir("imagent-models"))  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_model_dir: Path
) -> Iterator[Path]:
    """Every test gets its own IMAGENT_HOME; real user data is never touched."""
    home = tmp_path / "imagent-home"
    monkeypatch.setenv("IMAGENT_HOME", str(home))
    monkeypatch.setenv("IMAGENT_MODEL_DIR", str(shared_model_dir))
    monkeypatch.setenv("IMAGENT_RETRY_WAIT_S", "0")
    for name in (
        "IMAGENT_LLM",
        "IMAGENT_RENDERER",
        "IMAGENT_JUDGES",
        "IMAGENT_SEARCH",
        "IMAGENT_MEMORY",
        "IMAGENT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def settings(_isolated_home: Path) -> Settings:
    return Settings(home=_isolated_home, retry_wait_s=0)  # model_dir comes from the env
