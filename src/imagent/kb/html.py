"""Text a reader sees on an HTML page, with its title, date and canonical URL.

Dropped because a browser does not show them: scripts, styles, templates, `<head>` (the
title is kept), comments, elements with the `hidden` attribute or an inline style of
`display:none`, `visibility:hidden`, `opacity:0` or `font-size:0`, and image alt text.
Dropped as page furniture: `<nav>`, inline SVG, frames and embedded objects. Everything a
reader does see stays, whatever it says (footers and captions included): retrieved text is
data, and defending against what it says is the agent's job, not the extractor's.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from imagent.backends.search.dates import normalise_date

SKIPPED = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "nav",
        "svg",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "datalist",
    }
)
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
        "br",
    }
)
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)"
    r"|font-size\s*:\s*0(?:px|em|rem|pt|%)?\s*(?:;|$))",
    re.IGNORECASE,
)
_DATE_META = (
    "article:modified_time",
    "article:published_time",
    "og:updated_time",
    "date",
    "dc.date",
    "dcterms.modified",
    "dcterms.date",
    "datepublished",
    "datemodified",
)


class _PageText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self.url: str | None = None
        self.dates: dict[str, str] = {}
        self._stack: list[tuple[str, bool]] = []  # (tag, text inside is dropped)
        self._in_title = False
        self._in_h1 = False

    @property
    def dropping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        self._metadata(tag, values)
        if tag in BLOCK:
            self.parts.append("\n")
        if tag in VOID:
            return
        hidden = (
            tag in SKIPPED
            or "hidden" in values
            or bool(_HIDDEN_STYLE.search(values.get("style", "")))
        )
        self._stack.append((tag, self.dropping or hidden))
        self._in_title = self._in_title or tag == "title"
        self._in_h1 = self._in_h1 or (tag == "h1" and not self.dropping)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._metadata(tag, {name.lower(): value or "" for name, value in attrs})
        if tag in BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "h1":
            self._in_h1 = False
        if any(open_tag == tag for open_tag, _ in self._stack):
            while self._stack and self._stack.pop()[0] != tag:
                pass  # close elements left open inside this one, as browsers do
        if tag in BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self.dropping:
            return
        if self._in_h1:
            self.h1 += data
        self.parts.append(data)

    def _metadata(self, tag: str, values: dict[str, str]) -> None:
        if tag == "meta":
            name = values.get("property") or values.get("name") or values.get("itemprop") or ""
            if name.lower() in _DATE_META and values.get("content"):
                self.dates.setdefault(name.lower(), values["content"])
            if name.lower() == "og:url" and values.get("content"):
                self.url = self.url or values["content"]
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.url = values.get("href") or self.url
        elif tag == "time" and values.get("datetime"):
            self.dates.setdefault("time", values["datetime"])


class Page:
    """What `read_html` found: visible text, title, date (YYYY-MM-DD) and canonical URL."""

    def __init__(self, text: str, title: str, date: str | None, url: str | None) -> None:
        self.text, self.title, self.date, self.url = text, title, date, url


def read_html(markup: str) -> Page:
    """The visible text of `markup`, paragraphs on their own lines."""
    parser = _PageText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(line for line in lines if line)
    title = " ".join(parser.title.split()) or " ".join(parser.h1.split())
    date = next(
        (day for key in (*_DATE_META, "time") if (day := normalise_date(parser.dates.get(key)))),
        None,
    )
    return Page(text, title, date, parser.url)
