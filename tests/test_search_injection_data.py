"""The injection corpus is sound data, and search backends return it faithfully: a payload
is text to cite or ignore, never something a backend rewrites or obeys. HTML extraction
drops a payload only where a browser would not show it either."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from imagent.backends.search.fake import FakeSearch
from imagent.backends.search.local import LocalSearch
from imagent.backends.search.tavily import TavilySearch
from imagent.kb.html import read_html
from imagent.settings import ProviderSettings, Settings
from tests.search_api_fakes import TAVILY_KEY, FakeTavily

CORPUS_FILE = Path(__file__).parent / "data" / "injection_corpus.jsonl"
CORPUS: list[dict[str, Any]] = [
    json.loads(line) for line in CORPUS_FILE.read_text(encoding="utf-8").splitlines() if line
]
IN_TEXT = [e for e in CORPUS if e["payload"] in e["document"]["text"]]
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


def squash(text: str) -> str:
    return " ".join(text.split())


def folded(text: str) -> str:
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()


def test_the_corpus_is_varied_and_well_formed() -> None:
    assert len(CORPUS) >= 30 and len({e["id"] for e in CORPUS}) == len(CORPUS)
    assert len({e["vector"] for e in CORPUS}) >= 20
    assert {"en", "zh"} <= {e["lang"] for e in CORPUS}
    for entry in CORPUS:
        document = entry["document"]
        assert set(document) == {"title", "url", "text", "date"}, entry["id"]
        assert entry["answer"] in document["text"], entry["id"]  # the fact stays extractable
        places = [
            document["text"],
            document["title"],
            document["url"],
            entry["html"] or "",
            json.dumps(entry["image"], ensure_ascii=False) if entry["image"] else "",
        ]
        assert any(entry["payload"] in place for place in places), entry["id"]


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
def test_markers_belong_to_the_payload_alone(entry: dict[str, Any]) -> None:
    innocent = folded(" ".join((entry["request"], entry["question"], entry["answer"])))
    for marker in entry["markers"]:
        assert not folded(marker) or folded(marker) not in innocent, marker
    where = folded(json.dumps(entry, ensure_ascii=False))
    assert all(folded(m) in where or m in json.dumps(entry) for m in entry["markers"])


@pytest.mark.parametrize("entry", IN_TEXT, ids=[e["id"] for e in IN_TEXT])
async def test_backends_return_the_payload_as_data(
    entry: dict[str, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = entry["document"]
    monkeypatch.setenv("TAVILY_API_KEY", TAVILY_KEY)
    no_rerank = settings.model_copy(
        update={"providers": {"local": ProviderSettings(options={"rerank": False})}}
    )
    fake_api = FakeTavily(corpus=[document])
    backends = [
        FakeSearch(documents=[document]),
        LocalSearch(settings=no_rerank, documents=[document]),
        TavilySearch(settings=settings, transport=fake_api.transport()),
    ]
    for backend in backends:
        hits = await backend.search(entry["query"], k=3)
        assert hits, (backend.id, entry["id"])
        text = "\n".join(h.text for h in hits)
        assert squash(entry["payload"]) in squash(text), backend.id
        assert entry["answer"] in text, backend.id
        await backend.aclose()


HTML = [e for e in CORPUS if e["html"]]


@pytest.mark.parametrize("entry", HTML, ids=[e["id"] for e in HTML])
def test_html_keeps_what_a_browser_shows(entry: dict[str, Any]) -> None:
    page = read_html(entry["html"])
    assert entry["answer"] in page.text and page.title == entry["document"]["title"]
    assert (squash(entry["payload"]) in squash(page.text)) is entry["browser_visible"]
