"""imagent: a context-aware image agent.

from imagent import Agent
result = Agent().run_sync("A chalkboard showing the result of 17 x 23, written large")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Exports are imported when first used, so `import imagent.<module>` (the command line's
# launcher) costs only that module: the launcher starts loading the embedded model first.
_EXPORTS = {
    "Agent": "imagent.agent.agent",
    "TraceEvent": "imagent.core.events",
    "Settings": "imagent.settings",
    **{
        name: "imagent.core.types"
        for name in (
            "ChecklistItem",
            "Evidence",
            "Gap",
            "GapRoute",
            "GenerationSpec",
            "Request",
            "Result",
            "RunOptions",
            "Size",
            "Task",
            "Verdict",
        )
    },
}

if TYPE_CHECKING:
    from imagent.agent.agent import Agent
    from imagent.core.events import TraceEvent
    from imagent.core.types import (
        ChecklistItem,
        Evidence,
        Gap,
        GapRoute,
        GenerationSpec,
        Request,
        Result,
        RunOptions,
        Size,
        Task,
        Verdict,
    )
    from imagent.settings import Settings

__all__ = [
    "Agent",
    "ChecklistItem",
    "Evidence",
    "Gap",
    "GapRoute",
    "GenerationSpec",
    "Request",
    "Result",
    "RunOptions",
    "Settings",
    "Size",
    "Task",
    "TraceEvent",
    "Verdict",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'imagent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
