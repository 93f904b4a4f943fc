"""Test session setup: no network but loopback, a fresh data folder per test, no retry waits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from importlib.util import find_spec
from pathlib import Path

import pytest

from imagent.settings import Settings

TODAY = date(2026, 11, 25)
pytest_plugins = ["tests.fakes.fixtures"]  # loopback fakes of the hosted image APIs


@pytest.fixture(scope="session")
def shared_model_dir(request: pytest.FixtureRequest) -> Path:
    """Embedded model files (and saved prompt heads) are assembled once per checkout, in
    .pytest_cache, not per test; or once per machine where IMAGENT_MODEL_DIR is set."""
    outer = os.environ.get("IMAGENT_MODEL_DIR")
    if outer:
        return Path(outer).expanduser()
    return Path(request.config.cache.mkdir("imagent-models"))  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def default_model(shared_model_dir: Path) -> Path:
    """The default embedded model's GGUF, assembled once per checkout; skips without it."""
    if find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'imagent[local]'")
    from imagent.backends.llm.model_files import DEFAULT_MODEL, get_spec, missing_parts, model_path

    missing = missing_parts(get_spec(DEFAULT_MODEL))
    if missing:
        pytest.skip(f"the default model's parts are not installed ({missing[0]}, ...)")
    return model_path(DEFAULT_MODEL, Settings(model_dir=shared_model_dir))


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
