"""Settings from `IMAGENT_*` environment variables and an optional TOML file.

Precedence: explicit arguments > environment > `<home>/config.toml` (or `IMAGENT_CONFIG`) > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_LLM = "local/qwen2.5-coder-1.5b"
DEFAULT_RENDERER = "layout/poster"


def default_home() -> Path:
    """Data directory: `IMAGENT_HOME`, else the platform's user data dir."""
    env = os.environ.get("IMAGENT_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("imagent"))


def _config_file() -> Path:
    env = os.environ.get("IMAGENT_CONFIG")
    return Path(env).expanduser() if env else default_home() / "config.toml"


class Settings(BaseSettings):
    """Defaults for every run; a `Request` may override the backend ids per run."""

    model_config = SettingsConfigDict(env_prefix="IMAGENT_", extra="ignore")

    home: Path = Field(default_factory=default_home)
    llm: str = DEFAULT_LLM
    renderer: str = DEFAULT_RENDERER
    judges: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["instruction", "ocr"])
    search: str | None = None
    memory: str = "sqlite"
    max_rounds: int = 2
    model_dir: Path | None = None  # where embedded model files are assembled; default <home>/models
    llm_threads: int | None = None
    retries: int = 3  # attempts for a backend call that failed in a retryable way
    retry_wait_s: float = 1.0  # first backoff; doubles each attempt

    @field_validator("judges", mode="before")
    @classmethod
    def _split_judges(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def models_dir(self) -> Path:
        return self.model_dir or self.home / "models"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)
