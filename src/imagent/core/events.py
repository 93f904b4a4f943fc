"""Typed events: everything that happens in a run, in order.

Every event has a run-wide sequence number, the task it belongs to (None for run-wide steps
such as planning), a human-readable message and a typed payload, one record type per kind.
Callbacks, the trace.jsonl file and (later) server streams all receive the same events, and
a consumer can resume a stream from a sequence number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from imagent.core.types import ModelCall, Record, Verdict, utcnow

DecidedBy = Literal["rules", "llm", "evidence", "user", "agent"]


class StepStarted(Record):
    kind: Literal["start"] = "start"


class StepEnded(Record):
    kind: Literal["end"] = "end"
    seconds: float


class ModelCalled(Record):
    kind: Literal["llm_call"] = "llm_call"
    call: ModelCall


class Decided(Record):
    """A decision and who made it: the rules, the model, the evidence, the user."""

    kind: Literal["decision"] = "decision"
    by: DecidedBy | None = None
    gap_id: str | None = None
    route: str | None = None
    status: str | None = None
    resolution: str | None = None
    covered: list[str] = Field(default_factory=list)  # gap or item ids a check found present
    missing: list[str] = Field(default_factory=list)  # ... and absent


class Rendered(Record):
    kind: Literal["render"] = "render"
    round: int
    candidate: int
    seed: int | None = None
    path: str | None = None
    cost_usd: float = 0.0


class Judged(Record):
    kind: Literal["judge"] = "judge"
    round: int
    candidate: int
    score: float
    verdicts: list[Verdict] = Field(default_factory=list)


class TaskChanged(Record):
    """A task of the run's graph started, finished or failed."""

    kind: Literal["task"] = "task"
    status: str


class Warned(Record):
    kind: Literal["warning"] = "warning"


class Failed(Record):
    kind: Literal["error"] = "error"
    error_type: str = ""


class Finished(Record):
    """The run ended (done, asked, failed or interrupted)."""

    kind: Literal["finished"] = "finished"
    status: str
    verdict: str = ""


Payload = Annotated[
    StepStarted
    | StepEnded
    | ModelCalled
    | Decided
    | Rendered
    | Judged
    | TaskChanged
    | Warned
    | Failed
    | Finished,
    Field(discriminator="kind"),
]
EventKind = Literal[
    "start",
    "end",
    "llm_call",
    "decision",
    "render",
    "judge",
    "task",
    "warning",
    "error",
    "finished",
]


class TraceEvent(Record):
    """One thing that happened in a run."""

    seq: int
    run_id: str
    step: str
    task_id: str | None = None
    message: str = ""
    at: datetime = Field(default_factory=utcnow)
    elapsed_s: float = 0.0
    payload: Payload

    @property
    def kind(self) -> EventKind:
        return self.payload.kind

    @property
    def call(self) -> ModelCall | None:
        return self.payload.call if isinstance(self.payload, ModelCalled) else None
