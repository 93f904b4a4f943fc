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

if TYPE_CHECKING:  # the same names, for type checkers (`as`: re-exported)
    from imagent.agent.agent import Agent as Agent
    from imagent.core.events import TraceEvent as TraceEvent
    from imagent.core.types import ChecklistItem as ChecklistItem
    from imagent.core.types import Evidence as Evidence
    from imagent.core.types import Gap as Gap
    from imagent.core.types import GapRoute as GapRoute
    from imagent.core.types import GenerationSpec as GenerationSpec
    from imagent.core.types import Request as Request
    from imagent.core.types import Result as Result
    from imagent.core.types import RunOptions as RunOptions
    from imagent.core.types import Size as Size
    from imagent.core.types import Task as Task
    from imagent.core.types import Verdict as Verdict
    from imagent.settings import Settings as Settings

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'imagent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
