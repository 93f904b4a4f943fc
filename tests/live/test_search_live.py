"""One opt-in live test per hosted search provider (`pytest -m live`).

Each is skipped unless its key is set: TAVILY_API_KEY, BRAVE_SEARCH_API_KEY, SEARXNG_URL;
the keyless ones (Wikipedia, ddgs) run when IMAGENT_LIVE=1.
"""

from __future__ import annotations

import os
import re

import pytest

from imagent import registry
from imagent.settings import Settings

pytestmark = [pytest.mark.live, pytest.mark.enable_socket]

PROVIDERS = [
    ("tavily", "TAVILY_API_KEY"),
    ("brave", "BRAVE_SEARCH_API_KEY"),
    ("searxng", "SEARXNG_URL"),
    ("wikipedia", "IMAGENT_LIVE"),
    ("ddgs", "IMAGENT_LIVE"),
]


@pytest.mark.parametrize("backend_id,env_var", PROVIDERS, ids=[p for p, _ in PROVIDERS])
async def test_a_real_search_answers_with_cited_hits(
    backend_id: str, env_var: str, settings: Settings
) -> None:
    if not os.environ.get(env_var):
        pytest.skip(f"set {env_var} to run the live {backend_id} test")
    if backend_id == "ddgs":
        pytest.importorskip("ddgs")
    search = registry.resolve("search", backend_id, settings)
    try:
        hits = await search.search("Eiffel Tower height", k=3)
        assert 0 < len(hits) <= 3
        assert all(hit.url and hit.url.startswith("http") and hit.text for hit in hits)
        assert any(re.search(r"\b(?:3[0-3]\d)\b", hit.text) for hit in hits)  # 300-330 m
        assert all(hit.date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", hit.date) for hit in hits)
        if search.supports_images:
            images = await search.search_images("Eiffel Tower", k=2)
            assert images and all(image.url.startswith("http") for image in images)
    finally:
        await search.aclose()
