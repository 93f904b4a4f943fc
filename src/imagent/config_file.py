"""The settings file and `IMAGENT_*` variables, read strictly.

A TOML syntax error, a key no setting has (`rendrer = ...`), a value of the wrong type, an
`IMAGENT_CONFIG` that names no file, and an `IMAGENT_*` variable no setting reads are all
errors that name the file and line (or the variable) and the closest known name.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from imagent.core.errors import ConfigError
from imagent.core.validation import field_bounds, model_in, reason, shown

ENV_PREFIX = "IMAGENT_"
# Variables imagent reads that are not settings; the live tests' own start with IMAGENT_LIVE.
OTHER_ENV_VARS = frozenset({"IMAGENT_CONFIG", "IMAGENT_DEBUG", "IMAGENT_API_TOKEN"})
TEST_ENV_PREFIX = "IMAGENT_LIVE"
Key = tuple[str, ...]
_BARE = r"[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_DOTTED = re.compile(rf"^\s*((?:{_BARE})(?:\s*\.\s*(?:{_BARE}))*)\s*=")
_HEADER = re.compile(rf"^\s*\[\[?\s*((?:{_BARE})(?:\s*\.\s*(?:{_BARE}))*)\s*\]\]?")
_PART = re.compile(_BARE)
_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


def _split(dotted: str) -> Key:
    return tuple(p.strip("\"'") for p in _PART.findall(dotted))


@dataclass
class ConfigFile:
    """A parsed config.toml and where each key was written."""

    path: Path
    data: dict[str, Any]
    lines: dict[Key, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, path: Path, text: str) -> ConfigFile:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            at = _TOML_AT.search(str(exc))
            where = f"{path} line {at[1]}" if at else str(path)
            message = _TOML_AT.sub("", str(exc)).strip()
            raise ConfigError(f"{where}: {message} (fix the TOML syntax)") from exc
        return cls(path, data, _key_lines(text))

    def where(self, key: tuple[int | str, ...]) -> str:
        """`<path> line N` for a key (or the nearest enclosing table that has a line)."""
        parts = tuple(str(k) for k in key)
        while parts:
            within = [n for k, n in self.lines.items() if k[: len(parts)] == parts]
            if within:  # the key itself, or the first line of a table under it
                return f"{self.path} line {self.lines.get(parts, min(within))}"
            parts = parts[:-1]
        return str(self.path)

    def get(self, key: tuple[int | str, ...]) -> tuple[bool, Any]:
        """Whether the file sets `key`, and its value there."""
        value: Any = self.data
        for part in key:
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return False, None
        return True, value


def _key_lines(text: str) -> dict[Key, int]:
    """The line of every `key = ...` and `[table]`, as full dotted keys."""
    lines: dict[Key, int] = {}
    table: Key = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            table = _split(header[1])
            lines.setdefault(table, number)
        elif assignment := _DOTTED.match(line):
            lines.setdefault(table + _split(assignment[1]), number)
    return lines


def read_config(path: Path, *, named: bool) -> ConfigFile | None:
    """The config file at `path`; None when it does not exist and was not `named` by
    IMAGENT_CONFIG (then a missing file is an error)."""
    if not path.exists():
        if named:
            raise ConfigError(
                f"IMAGENT_CONFIG names {path}, which does not exist: create it, or unset "
                "IMAGENT_CONFIG to use <data folder>/config.toml"
            )
        return None
    if not path.is_file():
        raise ConfigError(f"config file {path} is not a file: point IMAGENT_CONFIG at a .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    return ConfigFile.parse(path, text)


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_keys(
    data: Mapping[str, Any], model: type[BaseModel], prefix: Key = ()
) -> Iterator[tuple[Key, str]]:
    """(key, hint) for every key in `data` that `model` (and its nested models) lacks."""
    fields = model.model_fields
    for key, value in data.items():
        if key not in fields:
            yield (*prefix, key), _suggest(key, list(fields))
            continue
        inner, keyed = model_in(fields[key].annotation)
        if inner is None or not isinstance(value, dict):
            continue
        entries = value.items() if keyed else [(None, value)]
        for name, entry in entries:
            if isinstance(entry, dict):
                where = (*prefix, key) if name is None else (*prefix, key, name)
                yield from unknown_keys(entry, inner, where)


def unknown_key_problems(file: ConfigFile, model: type[BaseModel]) -> list[str]:
    return [
        f"{file.where(key)}: unknown key {'.'.join(key)!r}{hint}"
        for key, hint in unknown_keys(file.data, model)
    ]


def env_name(field_name: str) -> str:
    return f"{ENV_PREFIX}{field_name.upper()}"


def unknown_env_problems(environ: Mapping[str, str], fields: list[str]) -> list[str]:
    """One message per `IMAGENT_*` variable that no setting reads."""
    known = sorted({env_name(f) for f in fields} | OTHER_ENV_VARS)
    problems = []
    for name in sorted(environ):
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in known:
            if upper.startswith(TEST_ENV_PREFIX):
                continue
            close = _suggest(
                upper.removeprefix(ENV_PREFIX), [k.removeprefix(ENV_PREFIX) for k in known]
            )
            hint = close.replace("'", f"'{ENV_PREFIX}", 1) if close else ""
            problems.append(
                f"unknown environment variable {name}{hint}: "
                "unset it, or see the settings in the README's Configuration section"
            )
    return problems


def env_var_for(environ: Mapping[str, str], field_name: str) -> str | None:
    """The variable that sets `field_name`, as it is spelt in the environment."""
    wanted = env_name(field_name)
    return next((name for name in environ if name.upper() == wanted), None)


def describe(
    error: Any, model: type[BaseModel], environ: Mapping[str, str], file: ConfigFile | None
) -> str:
    """Where a bad setting came from (variable, or file and line), its value and the fix."""
    loc = tuple(error["loc"])
    why = reason(error, field_bounds(model, loc))
    dotted = ".".join(str(p) for p in loc)
    variable = env_var_for(environ, str(loc[0])) if loc else None
    if variable is not None:
        if len(loc) == 1:
            return f"{variable}={shown(environ[variable])}: {why}"
        return f"{variable}: {dotted} = {shown(error.get('input'))}: {why}"
    if file is not None and loc and file.get(loc[:1])[0]:
        return f"{file.where(loc)}: {dotted} = {shown(error.get('input'))}: {why}"
    return f"setting {dotted} = {shown(error.get('input'))}: {why}"


def one_error(problems: list[str]) -> ConfigError:
    """The first problem, and how many more `imagent doctor` lists; `problems` holds all."""
    more = len(problems) - 1
    tail = (
        f" (and {more} more problem{'s' if more > 1 else ''}: run imagent doctor)" if more else ""
    )
    return ConfigError(problems[0] + tail, problems=list(problems))
