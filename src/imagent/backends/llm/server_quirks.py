"""What one OpenAI-compatible server (base URL + model) has been found to accept, remembered.

A server that rejected `json_schema` once will reject it again, and one that ignores it costs
a wasted call every time it is tried; a model that wants `max_completion_tokens` or no
`temperature` says so once. Each lesson is kept in memory for the process and in
`<home>/cache/llm-servers.json` for the next one, so the agent stops paying for it.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from imagent.backends.llm.structured_output import TIERS, OutputTier

_log = logging.getLogger("imagent.backends")
_lock = threading.Lock()
_known: dict[str, ServerQuirks] = {}


@dataclass
class ServerQuirks:
    """The request shape one server + model accepts."""

    tier: OutputTier = OutputTier.JSON_SCHEMA  # the best structured-output tier it honours
    token_field: str = "max_tokens"  # or "max_completion_tokens" (OpenAI's reasoning models)
    temperature: bool = True  # False: the model takes only its default temperature
    learned: list[str] = field(default_factory=list)  # what was found out, for doctor/trace


def _key(base_url: str, model: str) -> str:
    return f"{base_url.rstrip('/')} {model}"


def _load(path: Path) -> dict[str, ServerQuirks]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {
            key: ServerQuirks(**{**value, "tier": OutputTier(value["tier"])})
            for key, value in raw.items()
        }
    except (OSError, ValueError, TypeError, KeyError):
        return {}  # a missing or stale cache only costs a re-discovery


def quirks_for(base_url: str, model: str, cache: Path | None) -> ServerQuirks:
    """What is known about `model` at `base_url` (defaults when nothing is)."""
    key = _key(base_url, model)
    with _lock:
        if key not in _known and cache is not None:
            _known.update({k: v for k, v in _load(cache).items() if k not in _known})
        return _known.setdefault(key, ServerQuirks())


def remember(
    base_url: str, model: str, quirks: ServerQuirks, lesson: str, cache: Path | None
) -> None:
    """Record `lesson` about this server and save what is known."""
    key = _key(base_url, model)
    _log.info("%s at %s: %s", model, base_url, lesson)
    with _lock:
        quirks.learned = [*quirks.learned[-4:], lesson]
        _known[key] = quirks
        if cache is None:
            return
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            data = {k: {**asdict(v), "tier": str(v.tier)} for k, v in _known.items()}
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(cache)
        except OSError:
            pass  # a read-only home still works, it just re-learns next time


def lower_tier(tier: OutputTier) -> OutputTier | None:
    """The next tier down, or None below text."""
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def forget_all() -> None:
    """Forget what this process learned (tests; a server that was upgraded)."""
    with _lock:
        _known.clear()
