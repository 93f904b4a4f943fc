"""Settings from `IMAGENT_*` environment variables and an optional TOML file.

Precedence: explicit arguments > environment > `<home>/config.toml` (or `IMAGENT_CONFIG`) > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator
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


def default_model_dir() -> Path:
    """Embedded model files and their cached prompt states, shared by every data folder."""
    return Path(platformdirs.user_cache_dir("imagent")) / "models"


def _config_file() -> Path:
    env = os.environ.get("IMAGENT_CONFIG")
    return Path(env).expanduser() if env else default_home() / "config.toml"


class Price(BaseModel):
    """What one model costs, in USD: per million tokens (LLMs) and per image (renderers)."""

    model_config = ConfigDict(extra="forbid")

    input_per_mtok: float = Field(default=0.0, ge=0)
    output_per_mtok: float = Field(default=0.0, ge=0)
    per_image: float = Field(default=0.0, ge=0)


class ProviderSettings(BaseModel):
    """One hosted provider's section, `[providers.<name>]` in config.toml.

    Every field is optional: a provider fills in its own defaults (its base URL, the env var
    its SDK reads the key from, its price table). `prices` entries override the built-in
    table per model; `options` holds provider-specific settings.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    api_key_env: str | None = None  # the env var that holds the key (never the key itself)
    timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    prices: dict[str, Price] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)


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
    # The embedded model (`local/...`): one assembled copy per machine, in IMAGENT_MODEL_DIR
    # or the user cache folder; llama.cpp threads (default: the physical cores this process
    # may use); context length; disk space for cached prompt prefixes (0 turns that off).
    model_dir: Path | None = None
    llm_threads: int | None = Field(default=None, ge=1)
    llm_context: int = Field(default=4096, ge=512)
    llm_prefix_cache_mb: int = Field(default=512, ge=0)
    retries: int = 3  # attempts for a backend call that failed in a retryable way
    retry_wait_s: float = 1.0  # first backoff; doubles each attempt
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)

    def provider(self, name: str) -> ProviderSettings:
        """The `[providers.<name>]` section, or its defaults when the file has none."""
        return self.providers.get(name) or ProviderSettings()

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
        return self.model_dir or default_model_dir()

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
