"""Every search backend passes the same suite: at most k hits, best first, the relevant page
on top, nothing for an unrelated query, dates as YYYY-MM-DD, hits tagged with the backend's
id, image search where the backend says it has one, and soft lookups."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from imagent.backends.search.base import Search
from imagent.backends.search.brave import BraveSearch
from imagent.backends.search.fake import FakeSearch
from imagent.backends.search.local import LocalSearch
from imagent.backends.search.searxng import SearXNGSearch
from imagent.backends.search.tavily import TavilySearch
from imagent.backends.search.wikipedia import WikipediaSearch
from imagent.settings import Settings
from tests.search_api_fakes import (
    BRAVE_KEY,
    TAVILY_KEY,
    FakeBrave,
    FakeSearXNG,
    FakeTavily,
    FakeWikipedia,
    fake_ddgs,
)

DOCS = [
    {
        "title": "Hangzhou",
        "url": "https://a.example/hangzhou",
        "date": "2026-11-24T08:00:00Z",
        "text": "Tomorrow in Hangzhou: light rain.",
        "image": "https://a.example/rain.jpg",
    },
    {
        "title": "Beijing",
        "url": "https://b.example/beijing",
        "date": "2026-11-24T08:00:00Z",
        "text": "Tomorrow in Beijing: sunny.",
        "image": "https://b.example/sun.jpg",
    },
    {
        "title": "Cats",
        "url": "https://c.example/cats",
        "date": "2026-01-02T08:00:00Z",
        "text": "Cats sleep a lot.",
        "image": "https://c.example/cat.jpg",
    },
]
BACKENDS = ["fake", "local", "tavily", "brave", "searxng", "wikipedia", "ddgs"]


def build(name: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Search:
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)
    monkeypatch.setenv("BRAVE_SEARCH_API_KEY", BRAVE_KEY)
    monkeypatch.setenv("SEARXNG_URL", "http://searx.local:8888")
    plain = [{k: v for k, v in d.items() if k != "image"} for d in DOCS]
    builders: dict[str, Any] = {
        "fake": lambda: FakeSearch(documents=plain),
        "local": lambda: LocalSearch(settings=settings, documents=plain),
        "tavily": lambda: TavilySearch(settings=settings, transport=FakeTavily(DOCS).transport()),
        "brave": lambda: BraveSearch(settings=settings, transport=FakeBrave(DOCS).transport()),
        "searxng": lambda: SearXNGSearch(
            settings=settings, transport=FakeSearXNG(DOCS).transport()
        ),
        "wikipedia": lambda: WikipediaSearch(
            settings=settings, transport=FakeWikipedia(DOCS).transport()
        ),
    }
    if name == "ddgs":
        pytest.importorskip("ddgs")
        from imagent.backends.search import ddgs as ddgs_module

        monkeypatch.setattr(ddgs_module, "DDGS", fake_ddgs(DOCS))
        backend = ddgs_module.DDGSSearch(settings=settings)
        backend.gate.min_interval_s = 0.0
        return backend
    return builders[name]()  # type: ignore[no-any-return]


@pytest.fixture(params=BACKENDS)
async def search(
    request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Search]:
    backend = build(request.param, settings, monkeypatch)
    yield backend
    await backend.aclose()


async def test_at_most_k_hits_best_first(search: Search) -> None:
    hits = await search.search("weather tomorrow in Hangzhou", k=2)
    assert 0 < len(hits) <= 2
    assert hits[0].title == "Hangzhou"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_unrelated_query_finds_nothing(search: Search) -> None:
    assert await search.search("quantum chromodynamics", k=5) == []


async def test_hits_say_where_they_are_from(search: Search) -> None:
    hits = await search.search("weather tomorrow in Hangzhou", k=3)
    for hit in hits:
        assert hit.text and hit.provider == search.id
        assert hit.date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", hit.date)
    assert await search.search("weather tomorrow in Hangzhou", k=3) == hits  # repeatable


async def test_capabilities_are_declared(search: Search) -> None:
    assert isinstance(search.fresh, bool) and isinstance(search.local, bool)
    assert not (search.fresh and search.local)
    outcome = await search.lookup_images("Hangzhou rain tomorrow", k=2)
    if search.supports_images:
        assert outcome.hits and outcome.hits[0].url.startswith("https://")
        assert all(hit.provider == search.id for hit in outcome.hits)
    else:
        assert outcome.hits == [] and "no image search" in outcome.warnings[0]


async def test_lookup_wraps_the_answer(search: Search) -> None:
    outcome = await search.lookup("weather tomorrow in Hangzhou", k=1)
    assert outcome.provider == search.id and outcome.warnings == []
    assert [h.title for h in outcome.hits] == ["Hangzhou"]
