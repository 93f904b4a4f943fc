"""`imagent doctor`: what is installed and what the defaults need.

Every problem it can see is a row with its fix, and listed again below the table: a bad
config file or variable, a data folder that cannot be written, a missing extra, a damaged
model file, a default backend that cannot be built (and, with `--ping`, one that does not
answer). It exits non-zero when any is found.
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from imagent import registry
from imagent.backends.base import Backend
from imagent.backends.retry import run_deadline
from imagent.core.errors import ImagentError
from imagent.settings import Settings, config_path, config_problems

PING_TIMEOUT_S = 30.0


class _Table(Table):
    """The doctor's table, which also keeps each problem's line for the summary."""

    problems: list[str]


def _check(label: str, ok: bool, detail: str, table: Table, failed: str = "missing") -> bool:
    table.add_row(label, "[green]ok[/green]" if ok else f"[red]{failed}[/red]", detail)
    if not ok and isinstance(table, _Table) and failed != "missing extra":
        table.problems.append(f"{label}: {detail}")
    return ok


def _providers(table: Table) -> None:
    for kind in registry.KINDS:
        for name, ep in sorted(registry.providers(kind).items()):
            try:
                ep.load()
                _check(f"{kind}/{name}", True, ep.value, table)
            except ImportError as exc:
                extra = f"pip install 'imagent[{','.join(ep.extras)}]'" if ep.extras else ""
                detail = f"{exc.name or exc}: {extra}"
                _check(f"{kind}/{name}", False, detail, table, "missing extra")


def _configured(settings: Settings) -> list[tuple[Any, str]]:
    wanted: list[tuple[Any, str]] = [("llm", settings.llm), ("renderer", settings.renderer)]
    wanted += [("judge", judge) for judge in settings.judges]
    if settings.search:
        wanted.append(("search", settings.search))
    return [(kind, backend_id) for kind, backend_id in wanted if backend_id != "none"]


def _defaults(settings: Settings, table: Table) -> bool:
    healthy = True
    for kind, backend_id in _configured(settings):
        try:
            registry.resolve(kind, backend_id, settings)
            _check(f"default {kind}", True, backend_id, table)
        except ImagentError as exc:
            healthy = _check(f"default {kind}", False, f"{backend_id}: {exc}", table) and healthy
    return healthy


def _models(settings: Settings, table: Table) -> bool:
    try:
        from imagent.backends.llm import model_files
        from imagent.backends.llm.model_files import get_spec
    except ImportError:
        return True
    healthy = True
    for model in model_files.describe_models(settings):
        if not model.parts_installed:
            _check(f"model {model.name}", True, f"optional; install with: {model.install}", table)
            continue
        expected = get_spec(model.name).size
        if model.assembled and model.size_bytes != expected:
            healthy = _check(
                f"model {model.name}",
                False,
                f"{model.path} is damaged ({model.size_bytes} bytes, expected {expected}): "
                "delete it; it is rebuilt from the installed parts on next use",
                table,
                "damaged",
            )
            continue
        state = (
            "verified" if model.verified else "assembled, not verified" if model.assembled else ""
        )
        where = f"{state} at {model.path}" if state else "assembled from its packages on first use"
        _check(f"model {model.name}", True, f"{model.size_bytes / 1e9:.2f} GB, {where}", table)
    _prompt_cache(settings, table)
    for old in model_files.legacy_copies(settings):
        detail = f"{old} is no longer used (models live in {settings.models_dir}): delete it"
        _check("old model copy", True, detail, table)
    return _user_model(settings, table) and healthy


def _prompt_cache(settings: Settings, table: Table) -> None:
    from imagent.backends.llm.model_files import prefix_cache_dir
    from imagent.backends.llm.prefix_cache import folder_usage

    if not settings.llm_prefix_cache_mb:
        _check("saved prompt heads", True, "off (IMAGENT_LLM_PREFIX_CACHE_MB=0)", table)
        return
    folder = prefix_cache_dir(settings)
    count, size = folder_usage(folder)
    detail = f"{count}, {size / 1e6:.0f} of {settings.llm_prefix_cache_mb} MB, at {folder}"
    _check("saved prompt heads", True, detail, table)


def _user_model(settings: Settings, table: Table) -> bool:
    """The default LLM's own GGUF file, when it is one (`local/<path>.gguf`)."""
    from imagent.backends.llm.model_files import check_user_gguf, is_user_file

    provider, _, model = settings.llm.partition("/")
    if provider != "local" or not is_user_file(model):
        return True
    try:
        check_user_gguf(model)
    except ImagentError as exc:
        return _check("default llm file", False, f"{exc} (set IMAGENT_LLM)", table, "damaged")
    return _check("default llm file", True, model, table)


def _writable(label: str, folder: Path, fix: str, table: Table) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _check(label, False, f"{folder}: cannot write ({reason}); {fix}", table, "failed")
    return _check(label, True, str(folder), table)


def _folders(settings: Settings, table: Table) -> bool:
    fix = "set IMAGENT_HOME to a folder you can write"
    healthy = _writable("data folder", settings.home, fix, table)
    if healthy:
        healthy = _writable("runs folder", settings.runs_dir, fix, table)
    model_fix = "set IMAGENT_MODEL_DIR to a folder you can write"
    return _writable("model folder", settings.models_dir, model_fix, table) and healthy


def _configuration(table: Table, profile: str | None) -> Settings:
    """The settings, or the defaults after reporting every problem with the configuration."""
    path, named = config_path()
    values = {"profile": profile} if profile else {}
    problems = config_problems(**values)
    if problems:
        for problem in problems:
            _check("configuration", False, problem, table, "bad")
        model_dir = os.environ.get("IMAGENT_MODEL_DIR")  # the folders can still be checked
        return Settings.model_construct(model_dir=Path(model_dir) if model_dir else None)
    settings = Settings(**values)
    source = f"{path}" if path.is_file() else f"{path} (none; defaults)"
    _check("configuration", True, source + (" from IMAGENT_CONFIG" if named else ""), table)
    return settings


async def _ping_one(backend: Backend) -> tuple[bool, str]:
    try:
        with run_deadline(PING_TIMEOUT_S):
            answer = await backend.ping()
    except ImagentError as exc:
        return False, str(exc)
    finally:
        await backend.aclose()
    return True, answer or "nothing remote to check"


async def _ping_all(settings: Settings) -> list[tuple[str, bool, str]]:
    """One real call to each configured backend that has something remote to check."""
    built: list[tuple[str, Backend]] = []
    for kind, backend_id in _configured(settings):
        try:
            built.append((f"{kind} {backend_id}", registry.resolve(kind, backend_id, settings)))
        except ImagentError:
            continue  # already reported as a default that cannot be built
    answers = await asyncio.gather(*(_ping_one(backend) for _, backend in built))
    return [(label, ok, detail) for (label, _), (ok, detail) in zip(built, answers, strict=True)]


def _pings(settings: Settings, table: Table) -> bool:
    healthy = True
    for label, ok, detail in asyncio.run(_ping_all(settings)):
        healthy = _check(f"ping {label}", ok, detail, table, "failed") and healthy
    return healthy


def report(
    console: Console,
    settings: Settings | None = None,
    *,
    profile: str | None = None,
    ping: bool = False,
) -> bool:
    """Print the checks; True when nothing is wrong. Without `settings`, they are read from
    the environment and config file (with `profile`), and every problem there is listed.
    `ping` also calls each configured hosted backend once (a real, tiny request: it may
    cost a fraction of a cent)."""
    table = _Table(title="imagent doctor")
    table.problems = []
    for column in ("check", "status", "detail"):
        table.add_column(column)
    _check("python", True, platform.python_version(), table)
    if settings is None:
        settings = _configuration(table, profile)
    healthy = not table.problems
    healthy = _folders(settings, table) and healthy
    _providers(table)
    healthy = _models(settings, table) and healthy
    healthy = _defaults(settings, table) and healthy
    if ping:
        healthy = _pings(settings, table) and healthy
    console.print(table)
    if healthy:
        console.print("[green]ready[/green]")
    else:
        console.print(f"[red]not ready[/red]: {len(table.problems)} problem(s), each with its fix:")
        for problem in table.problems:
            console.print(f"- {problem}", soft_wrap=True, markup=False)
    return healthy
