"""Resolve backends from string ids such as ``"local/qwen2.5-coder-1.5b"`` or ``"fake:scripted"``.

Providers are entry points in the groups ``imagent.llm``, ``imagent.renderer``,
``imagent.search``, ``imagent.judge`` and ``imagent.memory``; built-ins register the same
way a third-party plugin does. Provider modules are imported only when first used.
"""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from imagent.core.errors import MissingExtraError, UnknownBackendError
from imagent.settings import Settings

if TYPE_CHECKING:
    from imagent.backends.base import Backend
    from imagent.backends.judge.base import Judge
    from imagent.backends.llm.base import LLM
    from imagent.backends.renderer.base import Renderer
    from imagent.backends.search.base import Search
    from imagent.memory.base import Memory

Kind = Literal["llm", "renderer", "search", "judge", "memory"]
KINDS: tuple[Kind, ...] = ("llm", "renderer", "search", "judge", "memory")
B = TypeVar("B", bound="Backend")
NONE = "none"  # "no backend of this kind"; an LLM of "none" means planning with rules only
OPTIONAL_KINDS: tuple[Kind, ...] = ("llm", "search", "memory")


def split_id(backend_id: str) -> tuple[str, str]:
    """``"provider/model"`` → (provider, model); the first ``/`` or ``:`` splits."""
    backend_id = backend_id.strip()
    cut = [i for i in (backend_id.find("/"), backend_id.find(":")) if i >= 0]
    if not cut:
        return backend_id, ""
    i = min(cut)
    return backend_id[:i], backend_id[i + 1 :]


@cache
def providers(kind: Kind) -> dict[str, EntryPoint]:
    """The installed providers of one kind, by name."""
    return {ep.name: ep for ep in entry_points(group=f"imagent.{kind}")}


def _load(kind: Kind, backend_id: str) -> tuple[type[Backend], str]:
    provider, model = split_id(backend_id)
    known = providers(kind)
    if provider not in known:
        names = [*known, NONE] if kind in OPTIONAL_KINDS else list(known)
        suggestions = difflib.get_close_matches(provider, names, n=3, cutoff=0.5)
        raise UnknownBackendError(kind, backend_id, sorted(names), suggestions)
    ep = known[provider]
    try:
        cls = ep.load()
    except ImportError as exc:
        if not ep.extras:
            raise  # a broken install, not a missing extra
        raise MissingExtraError(backend_id, list(ep.extras), str(exc)) from exc
    return cls, model


@overload
def resolve(kind: Literal["llm"], backend_id: str, settings: Settings | None = None) -> LLM: ...
@overload
def resolve(
    kind: Literal["renderer"], backend_id: str, settings: Settings | None = None
) -> Renderer: ...
@overload
def resolve(
    kind: Literal["search"], backend_id: str, settings: Settings | None = None
) -> Search: ...
@overload
def resolve(kind: Literal["judge"], backend_id: str, settings: Settings | None = None) -> Judge: ...
@overload
def resolve(
    kind: Literal["memory"], backend_id: str, settings: Settings | None = None
) -> Memory: ...
def resolve(kind: Kind, backend_id: str, settings: Settings | None = None) -> Any:
    """Build the backend of `kind` named by `backend_id`."""
    cls, model = _load(kind, backend_id)
    return cls.from_id(model, settings or Settings())
