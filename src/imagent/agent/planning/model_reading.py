"""What a planner model read in a request, whichever tier wrote it."""

from __future__ import annotations

from dataclasses import dataclass, field

from imagent.agent.planning.gaps import ProposedGap


@dataclass
class ModelReading:
    """A model's plan before the rules weigh it. Empty fields mean "nothing to add"."""

    gaps: list[ProposedGap] = field(default_factory=list)
    subject: str = ""
    style: str = ""
    text: list[str] = field(default_factory=list)  # exact text to show
    items: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    beats: list[str] = field(default_factory=list)
    beat_texts: list[list[str]] = field(default_factory=list)
    consistency: str = ""
    checklist: list[tuple[str, str]] = field(default_factory=list)  # (question, kind)
