"""Waiting for a submitted render: poll with doubling waits, never past the run's deadline.

A render that was submitted is paid for or about to be; when the wait runs out, the
caller learns the job's id (OutcomeUnknownError) instead of the job being sent again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from imagent.backends.retry import time_left
from imagent.core.errors import OutcomeUnknownError

T = TypeVar("T")


async def poll_until(
    check: Callable[[], Awaitable[T | None]],
    *,
    backend_id: str,
    job_id: str,
    first_wait_s: float = 1.0,
    max_wait_s: float = 5.0,
    limit_s: float | None = None,
) -> T:
    """`await check()` until it returns a value. Waits start at `first_wait_s` and double to
    `max_wait_s` (as the DashScope SDK does); they stop at the run's deadline or after
    `limit_s`, raising OutcomeUnknownError with the job id."""
    started = time.monotonic()
    wait = first_wait_s
    while True:
        result = await check()
        if result is not None:
            return result
        left = time_left()
        if limit_s is not None:
            own = limit_s - (time.monotonic() - started)
            left = own if left is None else min(left, own)
        if left is not None and wait >= left:
            raise OutcomeUnknownError(
                backend_id,
                f"job {job_id} had not finished when the wait ran out; it may still finish "
                "(and be billed), so it is not submitted again: look it up by its id",
                task_id=job_id,
            )
        await asyncio.sleep(wait)
        wait = min(max_wait_s, wait * 2)
