"""Settings from `IMAGENT_*` environment variables and an optional TOML file.

Precedence: explicit arguments > environment > `<home>/config.toml` (or `IMAGENT_CONFIG`) > defaults.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
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


class Profile(BaseModel):
    """A named set of backend defaults, chosen with `--profile` / `IMAGENT_PROFILE`.

    A profile fills in only what is not set explicitly (by argument, env var or config file).
    """

    model_config = ConfigDict(extra="forbid")

    llm: str | None = None
    renderer: str | None = None
    judges: list[str] | None = None


PROFILES: dict[str, Profile] = {
    # DashScope end to end: Qwen plans, Qwen-Image renders, Qwen-VL judges (DASHSCOPE_API_KEY).
    "qwen": Profile(
        llm="dashscope/qwen-plus",
        renderer="dashscope/qwen-image-plus",
        judges=["instruction", "ocr", "vlm/dashscope/qwen-vl-max"],
    ),
    # OpenAI end to end (OPENAI_API_KEY).
    "openai": Profile(
        llm="openai/gpt-4.1-mini",
        renderer="openai/gpt-image-1",
        judges=["instruction", "ocr", "vlm/openai/gpt-4o-mini"],
    ),
    # The embedded defaults: no keys, no network.
    "local": Profile(llm=DEFAULT_LLM, renderer=DEFAULT_RENDERER, judges=["instruction", "ocr"]),
}


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
    search_cache_ttl_s: float = Field(default=21600.0, ge=0)  # hosted search answers; 0 = off
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    # "auto": the LLM's own tier (hosted models are "capable", the embedded one "small").
    planner_tier: Literal["auto", "small", "capable"] = "auto"
    profiles: dict[str, Profile] = Field(default_factory=dict)  # yours, beside PROFILES
    profile: str | None = None  # fills llm, renderer and judges where they are not set
    # Private ranges (CIDR) that image URLs may reach; by default only public addresses.
    image_allow_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)

    def provider(self, name: str) -> ProviderSettings:
        """The `[providers.<name>]` section, or its defaults when the file has none."""
        return self.providers.get(name) or ProviderSettings()

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data: Any) -> Any:
        """A profile's backends, for each of llm/renderer/judges not set explicitly."""
        if not isinstance(data, dict) or not data.get("profile"):
            return data
        own = data.get("profiles") or {}
        chosen = own.get(data["profile"]) or PROFILES.get(data["profile"])
        if chosen is None:
            return data  # `_known_profile` names the problem
        fields = chosen if isinstance(chosen, dict) else chosen.model_dump(exclude_none=True)
        return {**{k: v for k, v in fields.items() if v is not None}, **data}

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        known = [*PROFILES, *info.data.get("profiles", {})]
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown profile {value!r}.{hint} Known profiles: {', '.join(sorted(known))} "
                "(set with --profile or IMAGENT_PROFILE; define your own under [profiles.<name>])"
            )
        return value

    @field_validator("judges", "image_allow_networks", mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
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
