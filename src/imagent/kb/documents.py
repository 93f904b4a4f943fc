"""Documents for the knowledge base: text, Markdown, HTML and PDF files read into one shape.

Each extractor keeps what a reader of the file sees, the document's title, and its date when
the file states one (Markdown front matter, HTML meta tags or `<time>`, PDF metadata);
otherwise the file's modification day stands in, since that is when its content last
changed.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from imagent.backends.search.dates import normalise_date
from imagent.core.errors import ImagentError
from imagent.core.types import Record
from imagent.kb.html import read_html

MAX_FILE_BYTES = 64 * 1024 * 1024
SUFFIXES = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}
_ENCODINGS = ("utf-8-sig", "gb18030", "cp1252")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_MD_LINE_MARKS = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?)")
_MD_EMPHASIS = (  # pairs only, so snake_case and 2*3 survive
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"),
    re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"),
    re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"),
    re.compile(r"(?<!\w)~~(?=\S)(.+?)(?<=\S)~~"),
    re.compile(r"`+([^`\n]+)`+"),
)
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


class DocumentError(ImagentError):
    """A file could not be read as a document (unsupported type, unreadable, too large)."""


class Document(Record):
    """One document's text and what identifies it."""

    title: str
    text: str
    url: str | None = None
    date: str | None = None  # YYYY-MM-DD
    kind: str = "text"
    source: str = ""  # the absolute path for files; any unique id otherwise
    metadata: dict[str, str] = Field(default_factory=dict)


def supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def read_document(path: Path) -> Document:
    """The document in `path`; `DocumentError` says why a file cannot be read."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUFFIXES))
        raise DocumentError(f"{path}: unsupported file type {path.suffix!r} (supported: {known})")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DocumentError(
            f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MiB limit"
        )
    document = _READERS[kind](path)
    mtime_day = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
    return document.model_copy(
        update={
            "kind": kind,
            "source": str(path.resolve()),
            "url": document.url or path.resolve().as_uri(),
            "date": document.date or mtime_day,
            "title": document.title or path.stem.replace("_", " ").replace("-", " "),
        }
    )


def decode(data: bytes) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 with a BOM, GB18030, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


_DATELINE = re.compile(
    r"^\W{0,3}(?:published|posted|updated|last\s+updated|date|dated|发布时间|发布日期|更新时间"
    r"|更新日期|发布于|日期)\s*(?:on\s+|at\s+)?[:：]?\s*(?P<day>[^\n]{6,60}?)\W{0,3}$",
    re.IGNORECASE | re.MULTILINE,
)
DATELINE_LINES = 12


def dateline(text: str) -> str | None:
    """The date a document gives near its top ("Published: 20 November 2026", "发布时间：
    2026年11月20日"), as YYYY-MM-DD: a page saved today may be about last year."""
    head = "\n".join(text.splitlines()[:DATELINE_LINES])
    for match in _DATELINE.finditer(head):
        day = normalise_date(match["day"]) or normalise_date(match["day"].split(" at ")[0])
        if day:
            return day
    return None


def _read_text(path: Path) -> Document:
    text = decode(path.read_bytes()).replace("\r\n", "\n")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = first if 0 < len(first) <= 100 else ""
    return Document(title=title, text=text.strip(), date=dateline(text))


def _read_markdown(path: Path) -> Document:
    text = decode(path.read_bytes()).replace("\r\n", "\n")
    fields: dict[str, str] = {}
    if match := _FRONT_MATTER.match(text):
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    heading = re.search(r"(?m)^\s{0,3}#\s+(.+?)\s*#*\s*$", text)
    plain = _MD_LINE_MARKS.sub(
        "", _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", _MD_COMMENT.sub("", text)))
    )
    for emphasis in _MD_EMPHASIS:
        plain = emphasis.sub(r"\1", plain)
    return Document(
        title=fields.get("title") or (heading.group(1) if heading else ""),
        text=plain.strip(),
        url=fields.get("url") or fields.get("source") or None,
        date=normalise_date(fields.get("updated") or fields.get("date")) or dateline(plain),
    )


def _read_html(path: Path) -> Document:
    page = read_html(decode(path.read_bytes()))
    return Document(title=page.title, text=page.text, url=page.url, date=page.date)


def _read_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs what it repairs ("EOF marker not found"); a failure is reported once, below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path}: the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Any = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError) as exc:
        raise DocumentError(f"{path}: not a readable PDF ({exc})") from exc
    title = str(info.get("/Title") or "").strip()
    stamp = str(info.get("/ModDate") or info.get("/CreationDate") or "")
    date = None
    if match := _PDF_DATE.match(stamp):
        date = normalise_date("-".join(match.groups()))
    return Document(title=title, text="\n\n".join(p.strip() for p in pages if p.strip()), date=date)


_READERS = {"text": _read_text, "markdown": _read_markdown, "html": _read_html, "pdf": _read_pdf}
