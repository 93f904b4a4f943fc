"""Builders shared by tests."""

from __future__ import annotations

from typing import Any

from imagent.agent.trace import Tracer
from imagent.core.types import Usage


def tracer() -> Tracer:
    return Tracer("test-run", Usage())


def planner_answer(**fields: Any) -> dict[str, Any]:
    """A planner JSON answer with defaults for the fields not given."""
    return {"subject": "", "style": "", "text": [], "gaps": [], **fields}
