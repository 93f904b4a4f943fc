"""Running the CLI's async work so Ctrl-C and SIGTERM stop it at once, safely.

The first SIGINT or SIGTERM cancels the work: the agent records the run as `interrupted`,
saves run.json and closes its trace, and the CLI says how to resume it. Work running in a
worker thread (an embedded model's generation, say) is abandoned, not awaited: the event
loop closes without waiting for it, and `abandoned_work()` tells `main` to end the process
without joining that thread (its memory goes with the process). A second signal ends the
process at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"abandoned": False}


class Interrupted(Exception):
    """The work was stopped by a signal. `run_id` is the run it saved, if any."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum
        self.run_id: str | None = None
        self.status = "interrupted"  # what the run was saved as

    def describe(self) -> str:
        name = signal.Signals(self.signum).name
        if self.run_id and self.status in ("done", "asked"):  # it ended just before
            return f"interrupted ({name}) after run {self.run_id} ended: imagent runs show {self.run_id}"
        if self.run_id:
            return (
                f"interrupted ({name}): run {self.run_id} is saved as {self.status}. "
                f"Resume it with: imagent runs resume {self.run_id}"
            )
        return f"interrupted ({name}); nothing was saved"


def abandoned_work() -> bool:
    """Whether an interrupted run left worker threads behind (then exit without joining)."""
    return _state["abandoned"]


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `make()` to completion; a signal cancels it and raises `Interrupted`."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    task = loop.create_task(make())
    received: list[int] = []

    def on_signal(signum: int) -> None:
        if received:  # a second signal: stop now
            sys.stderr.write("\nstopping now\n")
            sys.stderr.flush()
            os._exit(128 + signum)
        received.append(signum)
        task.cancel()

    installed = _install(loop, on_signal)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0]) from None
        raise
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        _close(loop, wait_for_threads=not received)


def _install(loop: asyncio.AbstractEventLoop, handler: Callable[[int], None]) -> list[int]:
    installed: list[int] = []
    for signum in SIGNALS:
        try:
            loop.add_signal_handler(signum, handler, signum)
        except (ValueError, RuntimeError, NotImplementedError):
            continue  # not the main thread, or no signal support: Ctrl-C raises as usual
        installed.append(signum)
    return installed


def _close(loop: asyncio.AbstractEventLoop, *, wait_for_threads: bool) -> None:
    """Close the loop as asyncio.run does, but without waiting for abandoned threads."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        if wait_for_threads:
            loop.run_until_complete(loop.shutdown_default_executor())
        else:
            _state["abandoned"] = True
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def exit_now(code: int) -> None:
    """End the process without joining abandoned worker threads (output flushed first)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
