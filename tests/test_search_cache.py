"""The search cache: same question within the TTL costs no request and returns identical
hits; stale entries are ignored; a TTL of 0 (or no cache) always asks."""

from __future__ import annotations

import pytest

from imagent.backends.search.cache import SearchCache, cache_key, normalise_query
from imagent.backends.search.tavily import TavilySearch
from imagent.settings import ProviderSettings, Settings
from tests.search_api_fakes import TAVILY_KEY, FakeTavily


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)


def test_spellings_of_one_question_share_a_key() -> None:
    assert normalise_query("  Who WON  the\tMarathon ") == "who won the marathon"
    assert normalise_query("ＭＡＲＡＴＨＯＮ") == "marathon"  # full-width forms (NFKC)
    assert cache_key("tavily", "Marathon", 5, "web") == cache_key("tavily", " marathon", 5, "web")
    assert cache_key("tavily", "marathon", 5, "web") != cache_key("brave", "marathon", 5, "web")
    assert cache_key("tavily", "marathon", 5, "web") != cache_key("tavily", "marathon", 3, "web")
    assert cache_key("tavily", "marathon", 5, "web") != cache_key("tavily", "marathon", 5, "images")


async def test_a_repeated_search_is_served_from_the_cache_identically(settings: Settings) -> None:
    fake, clock = FakeTavily(), Clock()
    cache = SearchCache(settings.home / "search-cache.db", ttl_s=60, clock=clock)
    search = TavilySearch(settings=settings, transport=fake.transport(), cache=cache)
    first = await search.search("Glimmerfield Marathon", k=2)
    again = await search.search("glimmerfield   marathon", k=2)
    assert again == first and len(fake.requests) == 1
    await search.search("Glimmerfield Marathon", k=3)  # another k is another question
    assert len(fake.requests) == 2
    await search.aclose()


async def test_stale_entries_are_ignored(settings: Settings) -> None:
    fake, clock = FakeTavily(), Clock()
    cache = SearchCache(settings.home / "search-cache.db", ttl_s=60, clock=clock)
    search = TavilySearch(settings=settings, transport=fake.transport(), cache=cache)
    await search.search("Hangzhou tomorrow", k=1)
    clock.now += 59
    await search.search("Hangzhou tomorrow", k=1)
    assert len(fake.requests) == 1
    clock.now += 2  # 61 s after it was stored
    await search.search("Hangzhou tomorrow", k=1)
    assert len(fake.requests) == 2
    assert cache.clear(expired_only=True) == 0 and cache.clear() == 1


async def test_the_cache_outlives_the_backend_in_its_file(settings: Settings) -> None:
    fake = FakeTavily()
    first = TavilySearch(settings=settings, transport=fake.transport())
    hits = await first.search("Hangzhou tomorrow", k=1)
    await first.aclose()
    second = TavilySearch(settings=settings, transport=fake.transport())
    assert await second.search("Hangzhou tomorrow", k=1) == hits and len(fake.requests) == 1
    assert (settings.home / "search-cache.db").is_file()


@pytest.mark.parametrize("how", ["setting", "provider option"])
async def test_a_zero_ttl_turns_the_cache_off(settings: Settings, how: str) -> None:
    if how == "setting":
        settings = settings.model_copy(update={"search_cache_ttl_s": 0})
    else:
        section = ProviderSettings(options={"cache_ttl_s": 0})
        settings = settings.model_copy(update={"providers": {"tavily": section}})
    fake = FakeTavily()
    search = TavilySearch(settings=settings, transport=fake.transport())
    assert search.cache is None
    await search.search("Hangzhou tomorrow", k=1)
    await search.search("Hangzhou tomorrow", k=1)
    assert len(fake.requests) == 2


async def test_failures_are_not_cached(settings: Settings) -> None:
    fake = FakeTavily(fail_first=[(500, {}, {"detail": {"error": "boom"}})] * 3)
    search = TavilySearch(settings=settings, transport=fake.transport())
    outcome = await search.lookup("Hangzhou tomorrow", k=1)
    assert outcome.hits == [] and outcome.warnings
    assert await search.search("Hangzhou tomorrow", k=1)  # asked again, now answered
