"""Settings from `IMAGENT_*` environment variables and an optional TOML file.

Precedence: explicit arguments > environment > `<home>/config.toml` (or `IMAGENT_CONFIG`) > defaults.
Strict: an unknown key in the file, an unknown `IMAGENT_*` variable, a bad value from either,
and an `IMAGENT_CONFIG` naming no file raise `ConfigError` naming the file and line or the
variable (`config_file`). A bad explicit argument raises pydantic's `ValidationError`.
"""

from __future__ import annotations

import difflib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from imagent import config_file
from imagent.core.errors import ConfigError

DEFAULT_LLM = "local/qwen2.5-coder-1.5b"
_LENIENT: ContextVar[bool] = ContextVar("imagent_settings_lenient", default=False)
DEFAULT_RENDERER = "layout/poster"


def default_home() -> Path:
    """Data directory: `IMAGENT_HOME`, else the platform's user data dir."""
    env = os.environ.get("IMAGENT_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("imagent"))


def default_model_dir() -> Path:
    """Embedded model files and their cached prompt states, shared by every data folder."""
    return Path(platformdirs.user_cache_dir("imagent")) / "models"


def config_path() -> tuple[Path, bool]:
    """The config file, and whether IMAGENT_CONFIG named it (then it must exist)."""
    env = os.environ.get("IMAGENT_CONFIG")
    return (Path(env).expanduser(), True) if env else (default_home() / "config.toml", False)


def read_config_file() -> config_file.ConfigFile | None:
    path, named = config_path()
    return config_file.read_config(path, named=named)


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

    model_config = SettingsConfigDict(env_prefix="IMAGENT_", extra="forbid")

    home: Path = Field(default_factory=default_home)
    llm: str = DEFAULT_LLM
    renderer: str = DEFAULT_RENDERER
    judges: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["instruction", "ocr"])
    search: str | None = None
    memory: str = "sqlite"
    max_rounds: int = Field(default=2, ge=0, le=10)  # as RunOptions.max_rounds
    # The embedded model (`local/...`): one assembled copy per machine, in IMAGENT_MODEL_DIR
    # or the user cache folder; llama.cpp threads (default: the physical cores this process
    # may use); context length; disk space for cached prompt prefixes (0 turns that off);
    # calls decoded together.
    model_dir: Path | None = None
    llm_threads: int | None = Field(default=None, ge=1, le=512)
    llm_context: int = Field(default=4096, ge=512, le=131072)
    llm_prefix_cache_mb: int = Field(default=512, ge=0)
    # Calls the embedded model decodes together (each sequence holds its own KV cache, ~117 MB
    # at 4096 tokens for the default model); 1 decodes one call at a time.
    llm_sequences: int = Field(default=2, ge=1, le=3)
    retries: int = Field(default=3, ge=1, le=20)  # attempts for a call that failed retryably
    retry_wait_s: float = Field(default=1.0, ge=0, le=600)  # first backoff; doubles each attempt
    search_cache_ttl_s: float = Field(default=21600.0, ge=0)  # hosted search answers; 0 = off
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    # "auto": the LLM's own tier (hosted models are "capable", the embedded one "small").
    planner_tier: Literal["auto", "small", "capable"] = "auto"
    # Whether general-knowledge gaps ("the flag of the country whose capital is Ottawa") are
    # answered from the planner model's own knowledge. "auto": by capable models only; the
    # small embedded model was wrong on too many of the bench's knowledge cases (README).
    knowledge_answers: Literal["auto", "on", "off"] = "auto"
    profiles: dict[str, Profile] = Field(default_factory=dict)  # yours, beside PROFILES
    profile: str | None = None  # fills llm, renderer and judges where they are not set
    # Private ranges (CIDR) that image URLs may reach; by default only public addresses.
    image_allow_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # PNGs leave out the prompt and anything from memory (for images that leave the machine).
    private_outputs: bool = False

    def __init__(self, **values: Any) -> None:
        """Settings from `values`, the environment and the config file, checked strictly."""
        problems = [] if _LENIENT.get() else _source_problems(type(self))
        if problems:
            raise config_file.one_error(problems)
        try:
            super().__init__(**values)
        except ValidationError as exc:
            errors = [e for e in exc.errors() if not e["loc"] or e["loc"][0] not in values]
            if not errors:
                raise  # the caller's own arguments: pydantic's error says which
            file = read_config_file()
            raise config_file.one_error(
                [config_file.describe(e, type(self), os.environ, file) for e in errors]
            ) from exc
        except SettingsError as exc:
            raise _env_parse_error(exc) from exc

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
        return (init_settings, env_settings, _StrictConfigFile(settings_cls))


class _StrictConfigFile(PydanticBaseSettingsSource):
    """config.toml as a settings source (`Settings.__init__` has checked its keys)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.file = read_config_file()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (self.file.data.get(field_name) if self.file else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.file.data) if self.file else {}


def config_problems(**values: Any) -> list[str]:
    """Every problem with the configuration, not only the first (for `imagent doctor`)."""
    problems = _source_problems(Settings)
    token = _LENIENT.set(True)  # the values' own problems too, past unknown names
    try:
        Settings(**values)
    except ConfigError as exc:
        problems += [p for p in exc.problems if not p.endswith(": is not a known setting")]
    except ValueError as exc:  # the arguments' own (pydantic's ValidationError)
        problems.append(str(exc).splitlines()[-1].strip())
    finally:
        _LENIENT.reset(token)
    return problems


def _source_problems(settings_cls: type[BaseModel]) -> list[str]:
    """Unknown IMAGENT_* variables, an unreadable config file and its unknown keys."""
    problems = config_file.unknown_env_problems(os.environ, list(settings_cls.model_fields))
    try:
        file = read_config_file()
    except ConfigError as exc:
        return [*problems, str(exc)]
    if file is not None:
        problems += config_file.unknown_key_problems(file, settings_cls)
    return problems


def _env_parse_error(exc: SettingsError) -> ConfigError:
    """pydantic-settings could not parse a variable (IMAGENT_PROVIDERS must be JSON)."""
    field = str(exc).split('"')[1] if '"' in str(exc) else ""
    variable = config_file.env_var_for(os.environ, field) or config_file.env_name(field)
    cause = f" ({exc.__cause__})" if exc.__cause__ else ""
    return ConfigError(f"{variable}: not valid JSON{cause}; give a JSON object, e.g. '{{}}'")
