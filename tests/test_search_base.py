"""What every search shares: dates normalised, soft lookups, pacing by rate-limit headers."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date

import pytest

from imagent.backends.search.base import SearchHit
from imagent.backends.search.dates import normalise_date
from imagent.backends.search.fake import FakeSearch
from imagent.backends.search.pacing import RateGate
from imagent.backends.search.tavily import TavilySearch
from imagent.core.errors import ConfigError
from imagent.settings import Settings
from tests.search_api_fakes import TAVILY_KEY, FakeTavily

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    "written,day",
    [
        ("2026-11-22", "2026-11-22"),
        ("2026-11-22T23:30:00-05:00", "2026-11-22"),  # the day the source wrote, not UTC's
        ("2026-11-22T09:30:00.123Z", "2026-11-22"),
        ("Sun, 22 Nov 2026 09:30:00 GMT", "2026-11-22"),
        ("November 22, 2026", "2026-11-22"),
        ("Nov 22, 2026", "2026-11-22"),
        ("22 November 2026", "2026-11-22"),
        ("2026/11/22", "2026-11-22"),
        ("2026年11月22日", "2026-11-22"),
        ("3 days ago", "2026-11-22"),
        ("a week ago", "2026-11-18"),
        ("yesterday", "2026-11-24"),
        ("5 hours ago", "2026-11-25"),
        ("2026-11", None),  # no day: not completed with a guess
        ("2026-02-30", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_are_normalised_to_a_day(written: str, day: str | None) -> None:
    assert normalise_date(written, TODAY) == day


def test_a_hit_normalises_its_date_when_built() -> None:
    hit = SearchHit(text="x", date="Sun, 22 Nov 2026 09:30:00 GMT")
    assert hit.date == "2026-11-22"


async def test_lookup_fails_soft_with_a_warning_that_keeps_secrets_out(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)
    outage = (503, {}, {"detail": {"error": "Service Unavailable"}})
    fake = FakeTavily(fail_first=[outage] * 3)
    search = TavilySearch(settings=settings, transport=fake.transport())
    outcome = await search.lookup("Hangzhou tomorrow", k=2)
    assert outcome.hits == [] and outcome.provider == "tavily"
    assert len(fake.requests) == 3  # retried by the policy before giving up
    (warning,) = outcome.warnings
    assert "tavily" in warning and "HTTP 503" in warning and TAVILY_KEY not in warning


async def test_lookup_images_on_a_backend_without_image_search_says_so() -> None:
    outcome = await FakeSearch(documents=[]).lookup_images("a red fox", k=3)
    assert outcome.hits == [] and "no image search" in outcome.warnings[0]
    with pytest.raises(ConfigError, match="no image search"):
        await FakeSearch(documents=[]).search_images("a red fox", k=3)


@pytest.mark.parametrize("query,k", [("  ", 3), ("fox", 0), ("fox", 51)])
async def test_bad_queries_are_refused_clearly(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, query: str, k: int
) -> None:
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)
    search = TavilySearch(settings=settings, transport=FakeTavily().transport())
    with pytest.raises(ConfigError, match=r"query is empty|k must be between"):
        await search.search(query, k)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_exhausted_window_pauses_the_next_request() -> None:
    clock = Clock()
    gate = RateGate("brave", clock=clock)
    gate.observe({"x-ratelimit-remaining": "0, 1990", "x-ratelimit-reset": "1, 1419704"})
    assert gate._next_start == 101.0  # the per-second window; the monthly one is not waited
    gate.observe({"x-ratelimit-remaining": "5, 0", "x-ratelimit-reset": "1, 1419704"})
    assert gate._next_start == 101.0  # a spent monthly quota fails soft instead of sleeping


async def test_requests_start_at_least_the_interval_apart() -> None:
    gate = RateGate("ddgs", concurrency=4, min_interval_s=0.05)
    starts: list[float] = []
    loop = asyncio.get_running_loop()

    async def one() -> None:
        async with gate.slot():
            starts.append(loop.time())

    await asyncio.gather(*(one() for _ in range(3)))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= 0.045 for gap in gaps)


def test_search_secrets_are_masked_in_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    from imagent.runs.redact import redact_text

    monkeypatch.setenv("BRAVE_SEARCH_API_KEY", "BSAlivekey0123456789abcdefghij")
    text = redact_text(
        "brave failed with key BSAlivekey0123456789abcdefghij and BSAotherkey0123456789abcdefgh; "
        "searxng at https://me:hunter2secret@searx.example.org/search"
    )
    assert "BSAlivekey" not in text and "BSAotherkey" not in text and "hunter2" not in text
    assert "https://me:[REDACTED]@searx.example.org/search" in text
