"""Retries for backend calls, and the run's deadline that caps them.

One policy for every backend: exponential backoff on retryable failures (429, 5xx, lost
connections), honouring the provider's `Retry-After`, never past the run's deadline.
Failures that cannot get better by waiting (a bad key, a moderation refusal, a bad request)
are raised at once. The deadline is a context variable, so backends see it without ever
importing the agent.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from imagent.core.errors import BackendError, DeadlineExceededError

if TYPE_CHECKING:
    from imagent.settings import Settings

T = TypeVar("T")
MAX_RETRY_AFTER_S = 120.0  # a provider asking for longer is treated as an outage

_deadline: ContextVar[float | None] = ContextVar("imagent_run_deadline", default=None)


@contextmanager
def run_deadline(seconds: float | None) -> Iterator[None]:
    """Within this block, backend calls and their retries stop `seconds` from now."""
    if seconds is None:
        yield
        return
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the run's deadline, or None when the run has none."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a backend call is retried."""

    attempts: int = 3
    first_wait_s: float = 1.0
    max_wait_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(attempts=max(1, settings.retries), first_wait_s=settings.retry_wait_s)

    def wait_s(self, attempt: int, error: BackendError) -> float:
        """Seconds to wait after failed `attempt` (1-based): Retry-After if given, else backoff."""
        if error.retry_after is not None:
            return min(max(0.0, error.retry_after), MAX_RETRY_AFTER_S)
        return float(min(self.max_wait_s, self.first_wait_s * 2 ** (attempt - 1)))


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, BackendError, float], None] | None = None,
) -> T:
    """`await call()`, retried by `policy` while it fails in a retryable way.

    The last error is raised as it is; a wait that would pass the run's deadline raises
    `DeadlineExceededError` instead of sleeping.
    """

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if not isinstance(error, BackendError) or state.attempt_number >= policy.attempts:
            return 0.0  # no sleep follows: the error is about to be raised
        seconds = policy.wait_s(state.attempt_number, error)
        left = time_left()
        if left is not None and seconds >= left:
            raise DeadlineExceededError(
                error.backend_id,
                f"retrying after {seconds:.1f} s would pass the run's deadline ({error.message})",
                status=error.status,
                request_id=error.request_id,
            ) from error
        if on_retry is not None:
            on_retry(state.attempt_number, error, seconds)
        return seconds

    left = time_left()
    if left is not None and left <= 0:
        raise DeadlineExceededError("run", "the run's deadline passed")
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, BackendError) and e.retryable),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable")  # pragma: no cover
