"""imagent: a context-aware image agent."""

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
    TraceEvent,
    Verdict,
)

__all__ = [
    "ChecklistItem",
    "Evidence",
    "Gap",
    "GapRoute",
    "GenerationSpec",
    "Request",
    "Result",
    "RunOptions",
    "Size",
    "TraceEvent",
    "Verdict",
]
__version__ = "0.1.0"
