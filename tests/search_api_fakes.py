"""Faithful local fakes of the hosted search APIs, as `httpx2.MockTransport` handlers.

Each speaks its service's documented request and response shapes, auth and error bodies
(Tavily `POST /search` with a Bearer key; Brave `GET /res/v1/web/search` and
`/res/v1/images/search` with `X-Subscription-Token` and `X-RateLimit-*` headers; SearXNG
`GET /search?format=json`; Wikipedia's `rest.php/v1/search/page` and
`rest_v1/page/summary/{title}`), finds pages in a small corpus by shared words, and can be
told to fail first (`fail_first=[(status, headers, body), ...]`).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx2

TAVILY_KEY = "tvly-test-0123456789abcdef"
BRAVE_KEY = "BSAtest0123456789abcdefghijkl"

CORPUS: list[dict[str, Any]] = [
    {
        "title": "Glimmerfield Marathon 2026: Ada Okafor wins",
        "url": "https://news.example.org/glimmerfield-marathon-2026",
        "text": "Ada Okafor won the 2026 Glimmerfield Marathon in 2:21:07, a course record.",
        "date": "2026-11-22T09:30:00Z",
        "image": "https://img.example.org/okafor-finish.jpg",
    },
    {
        "title": "Glimmerfield Marathon 2025 results",
        "url": "https://news.example.org/glimmerfield-marathon-2025",
        "text": "The 2025 Glimmerfield Marathon was won by Jonas Reyes in 2:24:50.",
        "date": "2025-11-23T10:00:00Z",
        "image": "https://img.example.org/reyes-2025.jpg",
    },
    {
        "title": "Weather in Hangzhou tomorrow",
        "url": "https://weather.example.org/hangzhou",
        "text": "Tomorrow in Hangzhou: light rain, 12 to 17 °C, wind from the north-east.",
        "date": "2026-11-25T06:00:00Z",
        "image": "https://img.example.org/hangzhou-rain.jpg",
    },
]
_WORD = re.compile(r"\w+")


def _words(text: str) -> set[str]:
    """Words of 3+ letters; unspaced CJK text as its character pairs."""
    cjk = re.compile(r"[\u4e00-\u9fff]+")
    words = {w.lower() for w in _WORD.findall(cjk.sub(" ", text)) if len(w) > 2}
    return words | {run[i : i + 2] for run in cjk.findall(text) for i in range(len(run) - 1)}


def matching(query: str, corpus: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Corpus pages sharing a word with `query`, most shared words first."""
    wanted = _words(query)
    scored = []
    for doc in corpus if corpus is not None else CORPUS:
        words = _words(f"{doc['title']} {doc['text']}")
        if overlap := len(wanted & words):
            scored.append((overlap, doc))
    return [doc for _, doc in sorted(scored, key=lambda pair: -pair[0])]


@dataclass
class FakeAPI:
    """Common parts: recorded requests, scripted failures, the corpus."""

    corpus: list[dict[str, Any]] = field(default_factory=lambda: list(CORPUS))
    fail_first: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    requests: list[httpx2.Request] = field(default_factory=list)

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.fail_first:
            status, headers, body = self.fail_first.pop(0)
            if isinstance(body, str):
                return httpx2.Response(status, headers=headers, text=body)
            return httpx2.Response(status, headers=headers, json=body)
        return self.answer(request)

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        raise NotImplementedError


class FakeTavily(FakeAPI):
    """`POST https://api.tavily.com/search`."""

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/search" or request.method != "POST":
            return tavily_error(404, "Not Found")
        if request.headers.get("authorization") != f"Bearer {TAVILY_KEY}":
            return tavily_error(401, "Unauthorized: missing or invalid API key.")
        body = json.loads(request.content)
        query, k = body.get("query"), body.get("max_results", 5)
        if not isinstance(query, str) or not query:
            return tavily_error(400, "Query is missing.")
        if len(query) > 400:
            return tavily_error(400, "Query is too long. Max query length is 400 characters.")
        if not isinstance(k, int) or not 0 <= k <= 20:
            return tavily_error(400, "max_results must be between 0 and 20.")
        found = matching(query, self.corpus)[:k]
        return httpx2.Response(200, json=self._response(query, body, found))

    def _response(self, query: str, body: dict[str, Any], found: list[dict[str, Any]]) -> Any:
        news = body.get("topic") == "news"
        results = [
            {
                "title": doc["title"],
                "url": doc["url"],
                "content": doc["text"],
                "score": round(0.9 - 0.1 * i, 3),
                "raw_content": None,
                "favicon": None,
                **({"published_date": _rfc2822(doc["date"])} if news else {}),
            }
            for i, doc in enumerate(found)
        ]
        images: list[Any] = []
        if body.get("include_images"):
            describe = body.get("include_image_descriptions")
            images = [
                {"url": doc["image"], "description": doc["title"]} if describe else doc["image"]
                for doc in found
            ]
        return {
            "query": query,
            "follow_up_questions": None,
            "answer": None,
            "images": images,
            "results": results,
            "response_time": "0.42",
            "request_id": str(uuid.uuid4()),
        }


def tavily_error(status: int, message: str) -> httpx2.Response:
    return httpx2.Response(status, json={"detail": {"error": message}})


BRAVE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "1, 2000",
    "X-RateLimit-Policy": "1;w=1, 2000;w=2592000",
    "X-RateLimit-Remaining": "0, 1990",
    "X-RateLimit-Reset": "1, 1419704",
}


def brave_error(status: int, code: str, detail: str, **meta: Any) -> dict[str, Any]:
    return {
        "type": "ErrorResponse",
        "error": {
            "id": str(uuid.uuid4()),
            "status": status,
            "code": code,
            "detail": detail,
            "meta": meta,
        },
        "time": 1764057600,
    }


BRAVE_RATE_LIMITED = (
    429,
    BRAVE_LIMIT_HEADERS,
    brave_error(
        429,
        "RATE_LIMITED",
        "Request rate limit exceeded for plan.",
        plan="Free",
        rate_limit=1,
        rate_current=2,
        component="rate_limiter",
    ),
)


class FakeBrave(FakeAPI):
    """`GET https://api.search.brave.com/res/v1/web/search` and `/res/v1/images/search`."""

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        if request.headers.get("x-subscription-token") != BRAVE_KEY:
            body = brave_error(
                422,
                "SUBSCRIPTION_TOKEN_INVALID",
                "The provided subscription token is invalid.",
                component="authentication",
            )
            return httpx2.Response(422, json=body)
        query = request.url.params.get("q", "")
        count = int(request.url.params.get("count", "20"))
        path = request.url.path
        limit = 200 if path.endswith("/images/search") else 20
        if not query or not 1 <= count <= limit:
            body = brave_error(
                422,
                "VALIDATION",
                "Unable to validate request parameter(s)",
                errors=[{"loc": ["query", "count"], "msg": "out of range"}],
            )
            return httpx2.Response(422, json=body)
        headers = {**BRAVE_LIMIT_HEADERS, "X-RateLimit-Remaining": "1, 1990"}
        found = matching(query, self.corpus)[:count]
        if path == "/res/v1/web/search":
            return httpx2.Response(200, headers=headers, json=self._web(query, found))
        if path == "/res/v1/images/search":
            return httpx2.Response(200, headers=headers, json=self._images(query, found))
        return httpx2.Response(404, json=brave_error(404, "NOT_FOUND", "Not found"))

    def _web(self, query: str, found: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "search", "query": {"original": query}}
        if found:  # Brave leaves `web` out when it has no web results
            body["web"] = {
                "type": "search",
                "family_friendly": True,
                "results": [
                    {
                        "type": "search_result",
                        "title": doc["title"],
                        "url": doc["url"],
                        "description": _highlight(doc["text"], query),
                        "page_age": doc["date"].rstrip("Z"),
                        "age": "3 days ago",
                        "language": "en",
                        "family_friendly": True,
                        "meta_url": {"scheme": "https", "netloc": doc["url"].split("/")[2]},
                    }
                    for doc in found
                ],
            }
        return body

    def _images(self, query: str, found: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "images",
            "query": {"original": query, "spellcheck_off": True},
            "results": [
                {
                    "type": "image_result",
                    "title": doc["title"],
                    "url": doc["url"],
                    "source": doc["url"].split("/")[2],
                    "page_fetched": doc["date"],
                    "thumbnail": {"src": f"https://imgs.search.brave.com/{i}.jpg"},
                    "properties": {
                        "url": doc["image"],
                        "placeholder": "",
                        "width": 1600,
                        "height": 900,
                    },
                    "confidence": "high",
                }
                for i, doc in enumerate(found)
            ],
        }


@dataclass
class FakeSearXNG(FakeAPI):
    """`GET {instance}/search?q=…&format=json` of a SearXNG instance."""

    json_enabled: bool = True
    unresponsive: list[list[str]] = field(default_factory=list)

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        params = request.url.params
        if not request.url.path.endswith("/search"):
            return httpx2.Response(404, text="Not Found")
        if params.get("format") != "json" or not self.json_enabled:
            return httpx2.Response(403, text="<html><body>403 Forbidden</body></html>")
        query = params.get("q", "")
        images = params.get("categories") == "images"
        found = [] if self.unresponsive else matching(query, self.corpus)
        results = [self._image(doc) if images else self._web(doc, i) for i, doc in enumerate(found)]
        return httpx2.Response(
            200,
            json={
                "query": query,
                "number_of_results": 0,
                "results": results,
                "answers": [],
                "corrections": [],
                "infoboxes": [],
                "suggestions": [],
                "unresponsive_engines": self.unresponsive,
            },
        )

    def _web(self, doc: dict[str, Any], i: int) -> dict[str, Any]:
        return {
            "url": doc["url"],
            "title": doc["title"],
            "content": doc["text"],
            "engine": "duckduckgo",
            "engines": ["duckduckgo", "brave"],
            "positions": [i + 1],
            "score": round(2.0 / (i + 1), 3),
            "category": "general",
            "template": "default.html",
            "parsed_url": ["https", doc["url"].split("/")[2], "/", "", "", ""],
            "publishedDate": doc["date"].replace("Z", ""),
            "thumbnail": "",
        }

    def _image(self, doc: dict[str, Any]) -> dict[str, Any]:
        return {
            "template": "images.html",
            "url": doc["url"],
            "title": doc["title"],
            "content": "",
            "img_src": doc["image"],
            "thumbnail_src": doc["image"].replace(".jpg", "-thumb.jpg"),
            "resolution": "1600 x 900",
            "img_format": "JPEG",
            "engine": "bing images",
            "engines": ["bing images"],
            "category": "images",
            "publishedDate": None,
        }


class FakeWikipedia(FakeAPI):
    """`GET https://<lang>.wikipedia.org/w/rest.php/v1/search/page` and
    `/api/rest_v1/page/summary/{title}`; generic User-Agents are refused (403)."""

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        agent = request.headers.get("user-agent", "")
        if "python" in agent.lower() or not re.search(r"https?://|@", agent):
            return httpx2.Response(
                403,
                text="Please set a user-agent and respect our robot policy https://w.wiki/4wJS.",
            )
        path = request.url.path
        if path == "/w/rest.php/v1/search/page":
            return self._search(request)
        if path.startswith("/api/rest_v1/page/summary/"):
            return self._summary(unquote(path.rsplit("/", 1)[1]))
        return httpx2.Response(404, json={"httpCode": 404, "httpReason": "Not Found"})

    def _search(self, request: httpx2.Request) -> httpx2.Response:
        limit = int(request.url.params.get("limit", "50"))
        if not 1 <= limit <= 100:
            return httpx2.Response(
                400,
                json={
                    "errorKey": "paramvalidator-outofrange-minmax",
                    "messageTranslations": {
                        "en": f'Invalid value "{limit}" for integer parameter "limit": '
                        "must be between 1 and 100."
                    },
                    "httpCode": 400,
                    "httpReason": "Bad Request",
                },
            )
        found = matching(request.url.params.get("q", ""), self.corpus)[:limit]
        pages = [
            {
                "id": 1000 + i,
                "key": doc["title"].replace(" ", "_"),
                "title": doc["title"],
                "excerpt": f'<span class="searchmatch">{doc["title"]}</span> {doc["text"][:60]}',
                "matched_title": None,
                "description": "an example page",
                "thumbnail": {
                    "mimetype": "image/jpeg",
                    "size": None,
                    "width": 200,
                    "height": 113,
                    "duration": None,
                    "url": "//upload.example.org/thumb/" + str(i),
                },
            }
            for i, doc in enumerate(found)
        ]
        return httpx2.Response(200, json={"pages": pages})

    def _summary(self, key: str) -> httpx2.Response:
        doc = next((d for d in self.corpus if d["title"].replace(" ", "_") == key), None)
        if doc is None:
            return httpx2.Response(
                404,
                json={
                    "type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
                    "title": "Not found.",
                    "method": "get",
                    "detail": "Page or revision not found.",
                    "uri": f"/en.wikipedia.org/v1/page/summary/{key}",
                },
            )
        page_url = f"https://en.wikipedia.org/wiki/{key}"
        return httpx2.Response(
            200,
            json={
                "type": "standard",
                "title": doc["title"],
                "displaytitle": doc["title"],
                "pageid": 1000,
                "lang": "en",
                "timestamp": doc["date"],
                "description": "an example page",
                "thumbnail": {"source": doc["image"] + "?w=320", "width": 320, "height": 180},
                "originalimage": {"source": doc["image"], "width": 1600, "height": 900},
                "content_urls": {"desktop": {"page": page_url}, "mobile": {"page": page_url}},
                "extract": doc["text"],
                "extract_html": f"<p>{doc['text']}</p>",
            },
        )


def _highlight(text: str, query: str) -> str:
    """Brave wraps query words in <strong> inside descriptions."""
    for word in {w for w in _WORD.findall(query) if len(w) > 2}:
        text = re.sub(rf"\b({re.escape(word)})\b", r"<strong>\1</strong>", text, flags=re.I)
    return text


def _rfc2822(iso: str) -> str:
    from datetime import datetime
    from email.utils import format_datetime

    return format_datetime(datetime.fromisoformat(iso.replace("Z", "+00:00")), usegmt=True)


def fake_ddgs(corpus: list[dict[str, Any]] | None = None) -> type:
    """A stand-in for `ddgs.DDGS` answering from `corpus` in the library's result shapes,
    raising its "No results found." when nothing matches, as the library does."""
    from ddgs.exceptions import DDGSException

    docs = corpus if corpus is not None else CORPUS

    class FakeDDGS:
        def __init__(self, proxy: str | None = None, timeout: int | None = 5) -> None:
            self.timeout = timeout

        def _found(self, query: str, max_results: int) -> list[dict[str, Any]]:
            found = matching(query, docs)[:max_results]
            if not found:
                raise DDGSException("No results found.")
            return found

        def text(self, query: str, max_results: int = 10, **_: Any) -> list[dict[str, Any]]:
            return [
                {"title": d["title"], "href": d["url"], "body": d["text"]}
                for d in self._found(query, max_results)
            ]

        def images(self, query: str, max_results: int = 10, **_: Any) -> list[dict[str, Any]]:
            return [
                {
                    "title": d["title"],
                    "image": d["image"],
                    "thumbnail": d["image"],
                    "url": d["url"],
                    "height": 900,
                    "width": 1600,
                    "source": "Bing",
                }
                for d in self._found(query, max_results)
            ]

    return FakeDDGS
