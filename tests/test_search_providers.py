"""Each hosted search provider against a faithful fake of its API: request shapes and auth,
result mapping (dates normalised), errors, rate limits, empty answers."""

from __future__ import annotations

import json
import time

import pytest

from imagent.backends.search.brave import BraveSearch
from imagent.backends.search.searxng import SearXNGSearch
from imagent.backends.search.tavily import TavilySearch
from imagent.backends.search.wikipedia import WikipediaSearch
from imagent.core.errors import (
    AuthError,
    BackendError,
    ConfigError,
    MissingKeyError,
    RateLimitedError,
)
from imagent.settings import ProviderSettings, Settings
from tests.search_api_fakes import (
    BRAVE_KEY,
    BRAVE_RATE_LIMITED,
    TAVILY_KEY,
    FakeBrave,
    FakeSearXNG,
    FakeTavily,
    FakeWikipedia,
    tavily_error,
)


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)
    monkeypatch.setenv("BRAVE_SEARCH_API_KEY", BRAVE_KEY)
    monkeypatch.setenv("SEARXNG_URL", "http://searx.local:8888")


def with_options(settings: Settings, name: str, **options: object) -> Settings:
    return settings.model_copy(update={"providers": {name: ProviderSettings(options=options)}})


# -- Tavily ----------------------------------------------------------------------------


async def test_tavily_posts_the_documented_body_with_a_bearer_key(settings: Settings) -> None:
    fake = FakeTavily()
    search = TavilySearch(settings=settings, transport=fake.transport())
    hits = await search.search("who won the Glimmerfield Marathon 2026", k=2)
    await search.aclose()
    sent = fake.requests[0]
    assert sent.method == "POST" and sent.url == "https://api.tavily.com/search"
    assert sent.headers["authorization"] == f"Bearer {TAVILY_KEY}"
    body = json.loads(sent.content)
    assert body["query"] == "who won the Glimmerfield Marathon 2026"
    assert body["max_results"] == 2 and body["search_depth"] == "basic"
    assert hits[0].title == "Glimmerfield Marathon 2026: Ada Okafor wins"
    assert hits[0].url == "https://news.example.org/glimmerfield-marathon-2026"
    assert "2:21:07" in hits[0].text and hits[0].provider == "tavily"
    assert hits[0].score >= hits[1].score and hits[0].date is None  # general topic: no dates


async def test_tavily_news_topic_dates_are_normalised(settings: Settings) -> None:
    fake = FakeTavily()
    search = TavilySearch(
        settings=with_options(settings, "tavily", topic="news"), transport=fake.transport()
    )
    hits = await search.search("Glimmerfield Marathon", k=5)
    assert json.loads(fake.requests[0].content)["topic"] == "news"
    # The API sends RFC 2822 dates ("Sun, 22 Nov 2026 09:30:00 GMT").
    assert {h.date for h in hits} == {"2026-11-22", "2025-11-23"}


async def test_tavily_images_come_with_their_descriptions(settings: Settings) -> None:
    fake = FakeTavily()
    search = TavilySearch(settings=settings, transport=fake.transport())
    images = await search.search_images("Hangzhou weather", k=3)
    body = json.loads(fake.requests[0].content)
    assert body["include_images"] is True and body["include_image_descriptions"] is True
    assert images[0].url == "https://img.example.org/hangzhou-rain.jpg"
    assert images[0].description == "Weather in Hangzhou tomorrow"


async def test_tavily_rejected_key_is_an_auth_error_naming_the_variable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-wrong-key-000000000000")
    fake = FakeTavily()
    search = TavilySearch(settings=settings, transport=fake.transport())
    with pytest.raises(AuthError) as caught:
        await search.search("marathon", k=3)
    message = str(caught.value)
    assert "missing or invalid API key" in message and "TAVILY_API_KEY" in message
    assert "tvly-wrong" not in message and len(fake.requests) == 1  # never retried


async def test_tavily_429_with_retry_after_is_waited_out(settings: Settings) -> None:
    fake = FakeTavily(
        fail_first=[(429, {"retry-after": "0.2"}, {"detail": {"error": "slow down"}})]
    )
    search = TavilySearch(settings=settings, transport=fake.transport())
    started = time.monotonic()
    hits = await search.search("Hangzhou tomorrow", k=1)
    assert hits and len(fake.requests) == 2 and time.monotonic() - started >= 0.18


async def test_tavily_plan_limit_is_not_retried_and_says_so(settings: Settings) -> None:
    error = tavily_error(432, "This request exceeds your plan's set usage limit.")
    fake = FakeTavily(fail_first=[(432, {}, error.json())] * 3)
    search = TavilySearch(settings=settings, transport=fake.transport())
    with pytest.raises(BackendError) as caught:
        await search.search("marathon", k=3)
    assert "plan's usage limit" in str(caught.value) and len(fake.requests) == 1
    assert not caught.value.retryable


async def test_tavily_without_a_key_names_the_variable(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TAVILY_API_KEY")
    with pytest.raises(MissingKeyError, match="TAVILY_API_KEY"):
        TavilySearch(settings=settings)


async def test_an_empty_answer_is_no_hits(settings: Settings) -> None:
    search = TavilySearch(settings=settings, transport=FakeTavily().transport())
    assert await search.search("quantum chromodynamics", k=5) == []


# -- Brave -----------------------------------------------------------------------------


async def test_brave_sends_the_subscription_token_and_maps_results(settings: Settings) -> None:
    fake = FakeBrave()
    search = BraveSearch(settings=settings, transport=fake.transport())
    hits = await search.search("Glimmerfield Marathon winner", k=2)
    sent = fake.requests[0]
    assert sent.url.path == "/res/v1/web/search" and sent.url.params["count"] == "2"
    assert sent.headers["x-subscription-token"] == BRAVE_KEY
    assert hits[0].date == "2026-11-22"  # from page_age, not the vaguer "3 days ago"
    assert "<strong>" not in hits[0].text and "Glimmerfield Marathon" in hits[0].text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


async def test_brave_no_web_section_means_no_hits(settings: Settings) -> None:
    search = BraveSearch(settings=settings, transport=FakeBrave().transport())
    assert await search.search("quantum chromodynamics", k=3) == []


async def test_brave_invalid_token_is_an_auth_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAVE_SEARCH_API_KEY", "BSAwrongwrongwrongwrongwrong")
    fake = FakeBrave()
    search = BraveSearch(settings=settings, transport=fake.transport())
    with pytest.raises(AuthError) as caught:
        await search.search("marathon", k=2)
    assert "subscription token is invalid" in str(caught.value)
    assert "BRAVE_SEARCH_API_KEY" in str(caught.value) and len(fake.requests) == 1


async def test_brave_429_waits_for_the_rate_limit_reset_header(settings: Settings) -> None:
    one_try = settings.model_copy(update={"retries": 1})
    fake = FakeBrave(fail_first=[BRAVE_RATE_LIMITED])
    search = BraveSearch(settings=one_try, transport=fake.transport())
    with pytest.raises(RateLimitedError) as caught:
        await search.search("marathon", k=2)
    # No Retry-After: the per-second window's reset (1 s) is the wait to honour.
    assert caught.value.retry_after == 1.0 and "rate limit exceeded" in str(caught.value)


async def test_brave_429_then_success(settings: Settings) -> None:
    status, headers, body = BRAVE_RATE_LIMITED
    quick = {**headers, "X-RateLimit-Reset": "0, 1419704"}
    fake = FakeBrave(fail_first=[(status, quick, body)])
    search = BraveSearch(settings=settings, transport=fake.transport())
    assert await search.search("Hangzhou tomorrow", k=1) and len(fake.requests) == 2


async def test_brave_images_carry_size_and_source_page(settings: Settings) -> None:
    fake = FakeBrave()
    search = BraveSearch(settings=settings, transport=fake.transport())
    images = await search.search_images("Hangzhou rain", k=4)
    assert fake.requests[0].url.path == "/res/v1/images/search"
    assert images[0].url == "https://img.example.org/hangzhou-rain.jpg"
    assert images[0].page_url == "https://weather.example.org/hangzhou"
    assert (images[0].width, images[0].height) == (1600, 900) and images[0].thumbnail_url


# -- SearXNG ---------------------------------------------------------------------------


async def test_searxng_asks_for_json_and_maps_published_dates(settings: Settings) -> None:
    fake = FakeSearXNG()
    search = SearXNGSearch(settings=settings, transport=fake.transport())
    hits = await search.search("Glimmerfield Marathon", k=1)
    sent = fake.requests[0]
    assert str(sent.url).startswith("http://searx.local:8888/search?")
    assert sent.url.params["format"] == "json" and sent.url.params["categories"] == "general"
    assert len(hits) == 1 and hits[0].date == "2026-11-22" and hits[0].provider == "searxng"


async def test_searxng_without_json_format_says_what_to_change(settings: Settings) -> None:
    fake = FakeSearXNG(json_enabled=False)
    search = SearXNGSearch(settings=settings, transport=fake.transport())
    with pytest.raises(BackendError, match=r"search\.formats"):
        await search.search("marathon", k=1)


async def test_searxng_engines_down_is_an_outage_not_an_empty_answer(settings: Settings) -> None:
    fake = FakeSearXNG(
        unresponsive=[["google", "timeout"], ["brave", "Suspended: too many requests"]]
    )
    search = SearXNGSearch(settings=settings, transport=fake.transport())
    outcome = await search.lookup("marathon", k=3)
    assert outcome.hits == [] and "google: timeout" in outcome.warnings[0]


async def test_searxng_images_parse_the_resolution(settings: Settings) -> None:
    fake = FakeSearXNG()
    search = SearXNGSearch(settings=settings, transport=fake.transport())
    images = await search.search_images("Hangzhou rain", k=2)
    assert fake.requests[0].url.params["categories"] == "images"
    assert (images[0].width, images[0].height) == (1600, 900)
    assert images[0].thumbnail_url == "https://img.example.org/hangzhou-rain-thumb.jpg"


def test_searxng_needs_an_address(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEARXNG_URL")
    with pytest.raises(ConfigError, match="SEARXNG_URL"):
        SearXNGSearch(settings=settings)
    assert SearXNGSearch("http://other:8080", settings).endpoint() == "http://other:8080"


# -- Wikipedia -------------------------------------------------------------------------


async def test_wikipedia_searches_then_reads_summaries(settings: Settings) -> None:
    fake = FakeWikipedia()
    search = WikipediaSearch(settings=settings, transport=fake.transport())
    hits = await search.search("Glimmerfield Marathon", k=2)
    paths = [r.url.path for r in fake.requests]
    assert paths[0] == "/w/rest.php/v1/search/page" and fake.requests[0].url.params["limit"] == "2"
    assert all(p.startswith("/api/rest_v1/page/summary/") for p in paths[1:])
    agent = fake.requests[0].headers["user-agent"]
    assert agent.startswith("imagent/") and "https://" in agent  # Wikimedia's UA policy
    assert hits[0].text.startswith("Ada Okafor won") and hits[0].date == "2026-11-22"
    assert (
        hits[0].url == "https://en.wikipedia.org/wiki/Glimmerfield_Marathon_2026:_Ada_Okafor_wins"
    )


async def test_wikipedia_language_picks_the_host(settings: Settings) -> None:
    fake = FakeWikipedia()
    search = WikipediaSearch("zh", settings, transport=fake.transport())
    await search.search("Hangzhou", k=1)
    assert fake.requests[0].url.host == "zh.wikipedia.org" and search.id == "wikipedia/zh"
    with pytest.raises(ConfigError, match="language code"):
        WikipediaSearch("not a language", settings)


async def test_wikipedia_page_gone_between_search_and_read_keeps_the_excerpt(
    settings: Settings,
) -> None:
    fake = FakeWikipedia()
    search = WikipediaSearch(settings=settings, transport=fake.transport())
    original = fake._summary
    fake._summary = lambda key: original("missing")  # type: ignore[method-assign]
    hits = await search.search("Hangzhou tomorrow", k=1)
    assert hits[0].title == "Weather in Hangzhou tomorrow" and "Hangzhou" in hits[0].text
    assert "<span" not in hits[0].text


async def test_wikipedia_images_are_lead_images(settings: Settings) -> None:
    search = WikipediaSearch(settings=settings, transport=FakeWikipedia().transport())
    images = await search.search_images("Hangzhou", k=1)
    assert images[0].url == "https://img.example.org/hangzhou-rain.jpg"
    assert images[0].thumbnail_url and images[0].width == 1600


async def test_wikipedia_generic_user_agent_would_be_refused(settings: Settings) -> None:
    custom = with_options(settings, "wikipedia", user_agent="python-httpx/1.0")
    search = WikipediaSearch(settings=custom, transport=FakeWikipedia().transport())
    with pytest.raises(BackendError, match="refused: Please set a user-agent") as caught:
        await search.search("Hangzhou", k=1)
    assert caught.value.status == 403 and not caught.value.retryable
