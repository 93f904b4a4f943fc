"""Builders shared by tests."""

from __future__ import annotations

from typing import Any

from imagent.agent.trace import Tracer
from imagent.core.types import Usage


def tracer() -> Tracer:
    return Tracer("test-run", Usage())


def planner_answer(gaps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A planner model's JSON answer."""
    return {"gaps": gaps or []}
