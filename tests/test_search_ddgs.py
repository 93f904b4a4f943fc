"""`ddgs` with the library's class replaced by a scripted fake (no network)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

pytest.importorskip("ddgs")
from ddgs.exceptions import DDGSException, RatelimitException

from imagent.backends.search import ddgs as ddgs_module
from imagent.backends.search.ddgs import DDGSSearch
from imagent.core.errors import RateLimitedError
from imagent.settings import Settings

TEXT_ROWS = [
    {
        "title": "Glimmerfield Marathon 2026",
        "href": "https://news.example.org/m26",
        "body": "Ada Okafor won the 2026 Glimmerfield Marathon in 2:21:07.",
    },
    {
        "title": "Glimmerfield Marathon 2025",
        "href": "https://news.example.org/m25",
        "body": "Jonas Reyes won in 2025.",
    },
]
IMAGE_ROWS = [
    {
        "title": "Okafor at the finish",
        "image": "https://img.example.org/okafor.jpg",
        "thumbnail": "https://tse.example.org/okafor.jpg",
        "url": "https://news.example.org/m26",
        "height": 900,
        "width": 1600,
        "source": "Bing",
    },
]


class ScriptedDDGS:
    """Stands in for `ddgs.DDGS`: records calls, raises what it is told to first."""

    calls: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []
    raise_first: ClassVar[list[Exception]] = []

    def __init__(self, proxy: str | None = None, timeout: int | None = 5) -> None:
        self.timeout = timeout

    def _answer(self, kind: str, query: str, rows: list[dict[str, Any]], **kw: Any) -> Any:
        ScriptedDDGS.calls.append((kind, query, kw))
        if ScriptedDDGS.raise_first:
            raise ScriptedDDGS.raise_first.pop(0)
        return rows[: kw.get("max_results", 10)]

    def text(self, query: str, **kw: Any) -> list[dict[str, Any]]:
        return self._answer("text", query, TEXT_ROWS, **kw)

    def images(self, query: str, **kw: Any) -> list[dict[str, Any]]:
        return self._answer("images", query, IMAGE_ROWS, **kw)


@pytest.fixture
def search(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> DDGSSearch:
    ScriptedDDGS.calls, ScriptedDDGS.raise_first = [], []
    monkeypatch.setattr(ddgs_module, "DDGS", ScriptedDDGS)
    backend = DDGSSearch(settings=settings)
    backend.gate.min_interval_s = 0.0  # pacing is tested on its own
    return backend


async def test_text_results_become_hits(search: DDGSSearch) -> None:
    hits = await search.search("Glimmerfield Marathon winner", k=2)
    kind, query, kwargs = ScriptedDDGS.calls[0]
    assert (kind, query, kwargs["max_results"], kwargs["region"]) == (
        "text",
        "Glimmerfield Marathon winner",
        2,
        "us-en",
    )
    assert hits[0].url == "https://news.example.org/m26" and "2:21:07" in hits[0].text
    assert hits[0].provider == "ddgs" and hits[0].score > hits[1].score


async def test_no_results_is_an_empty_answer_not_an_error(search: DDGSSearch) -> None:
    ScriptedDDGS.raise_first = [DDGSException("No results found.")]
    assert await search.search("quantum chromodynamics", k=3) == []


async def test_rate_limits_are_retried_then_fail_soft(search: DDGSSearch) -> None:
    ScriptedDDGS.raise_first = [RatelimitException("202 Ratelimit")]
    assert await search.search("marathon", k=1)  # second attempt succeeds
    ScriptedDDGS.raise_first = [RatelimitException("202 Ratelimit")] * 5
    with pytest.raises(RateLimitedError):
        await search.search("another question", k=1)
    ScriptedDDGS.raise_first = [RatelimitException("202 Ratelimit")] * 5
    outcome = await search.lookup("a third question", k=1)
    assert outcome.hits == [] and "rate limited" in outcome.warnings[0]


async def test_images_keep_size_and_page(search: DDGSSearch) -> None:
    images = await search.search_images("Okafor finish line", k=1)
    assert images[0].url == "https://img.example.org/okafor.jpg"
    assert images[0].page_url == "https://news.example.org/m26"
    assert (images[0].width, images[0].height) == (1600, 900)
