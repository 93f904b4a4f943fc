"""imagent: a context-aware image agent.

from imagent import Agent
result = Agent().run_sync("A chalkboard showing the result of 17 x 23, written large")
"""

__version__ = "0.1.0"  # before the imports below: modules of the package read it

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
