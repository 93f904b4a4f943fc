"""Every search backend passes the same suite: at most k hits, best first."""

import pytest

from imagent.backends.search.base import Search
from imagent.backends.search.fake import FakeSearch

DOCS = [
    {"title": "Hangzhou", "url": "https://a.example", "text": "Tomorrow in Hangzhou: light rain."},
    {"title": "Beijing", "url": "https://b.example", "text": "Tomorrow in Beijing: sunny."},
    {"title": "Cats", "text": "Cats sleep a lot."},
]


@pytest.fixture(params=["fake"])
def search(request: pytest.FixtureRequest) -> Search:
    return FakeSearch(documents=DOCS)


async def test_at_most_k_hits_best_first(search: Search) -> None:
    hits = await search.search("weather tomorrow in Hangzhou", k=2)
    assert 0 < len(hits) <= 2
    assert hits[0].title == "Hangzhou"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_unrelated_query_finds_nothing(search: Search) -> None:
    assert await search.search("quantum chromodynamics", k=5) == []
