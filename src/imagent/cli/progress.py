"""Live progress from trace events: a spinner naming the current step and what just happened."""

from __future__ import annotations

from rich.console import Console
from rich.status import Status

from imagent.core.events import TraceEvent

_LABELS = {
    "load": "Loading",
    "plan": "Planning",
    "ground": "Grounding gaps",
    "compose": "Composing the instruction",
    "render": "Rendering and judging",
    "remember": "Remembering",
}


class Progress:
    """Use as `on_event`; shows a spinner and prints decisions as they happen (with --verbose)."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.status: Status = console.status("Starting…")
        self.run_id: str | None = None  # the run the events are about
        self.finished: str | None = None  # its status, once it finished or stopped

    def __enter__(self) -> Progress:
        self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.status.stop()

    def __call__(self, event: TraceEvent) -> None:
        self.run_id = event.run_id
        if event.kind == "finished":
            self.finished = str(getattr(event.payload, "status", "")) or None
        if event.kind == "start":
            self.status.update(f"{_LABELS.get(event.step, event.step)}…")
        elif event.kind == "warning":
            self.console.print(f"[yellow]warning[/yellow] {event.message}")
        elif event.kind == "task" and event.task_id:
            self.status.update(f"Rendering {event.message or event.task_id}…")
        elif self.verbose and event.kind in ("decision", "llm_call", "judge", "task"):
            where = f"{event.step}[{event.task_id}]" if event.task_id else event.step
            self.console.print(f"[dim]{event.elapsed_s:7.2f}s {where}: {event.message}[/dim]")
