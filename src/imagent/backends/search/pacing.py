"""Pacing for one hosted search provider: how many requests at once, how far apart, and the
pauses the provider itself asks for through its rate-limit headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from imagent.backends.retry import time_left
from imagent.core.errors import DeadlineExceededError

MAX_PAUSE_S = 60.0  # a longer reset is a spent monthly quota: the next call fails soft instead


class RateGate:
    """At most `concurrency` requests in flight, starts at least `min_interval_s` apart."""

    def __init__(
        self,
        backend_id: str,
        concurrency: int = 4,
        min_interval_s: float = 0.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend_id = backend_id
        self.min_interval_s = max(0.0, min_interval_s)
        self.clock = clock
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._order = asyncio.Lock()
        self._next_start = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request slot, after waiting for this provider's pace."""
        async with self._slots:
            async with self._order:
                await self._wait_turn()
                self._next_start = self.clock() + self.min_interval_s
            yield

    def pause(self, seconds: float) -> None:
        """No request starts in the next `seconds` (the provider said its window is spent)."""
        if 0 < seconds <= MAX_PAUSE_S:
            self._next_start = max(self._next_start, self.clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read `X-RateLimit-Remaining` / `X-RateLimit-Reset` (one value per window, e.g.
        `0, 1000` and `1, 1419704`): an exhausted short window pauses until its reset."""
        remaining = _numbers(headers.get("x-ratelimit-remaining"))
        reset = _numbers(headers.get("x-ratelimit-reset"))
        for left, seconds in zip(remaining, reset, strict=False):
            if left <= 0:
                self.pause(seconds)

    async def _wait_turn(self) -> None:
        wait = self._next_start - self.clock()
        if wait <= 0:
            return
        left = time_left()
        if left is not None and wait >= left:
            raise DeadlineExceededError(
                self.backend_id,
                f"waiting {wait:.1f} s for the provider's rate limit would pass the run's deadline",
            )
        await asyncio.sleep(wait)


def _numbers(value: str | None) -> list[float]:
    if not value:
        return []
    numbers = []
    for part in value.split(","):
        try:
            numbers.append(float(part.strip()))
        except ValueError:
            return []
    return numbers
