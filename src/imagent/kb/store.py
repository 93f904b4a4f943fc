"""The knowledge base: the user's documents as passages in SQLite full-text indexes.

`<home>/kb.db` by default; stdlib sqlite3 in WAL mode with named forward migrations. Each
document is stored once by its source (a file's absolute path) with its size, mtime and
sha256, so adding an unchanged file again is a no-op and a changed one replaces its
passages. Passages are indexed twice (see `terms`): words with BM25 (`bm25()`, title
weighted above body) and trigrams for substrings; the two rankings are fused, then
optionally re-ranked by a small embedding model.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from imagent.core.errors import ConfigError
from imagent.core.types import Record
from imagent.kb.chunk import passages
from imagent.kb.documents import Document, read_document
from imagent.kb.rank import Reranker, fuse, rerank
from imagent.kb.rows import delete_document, insert_document, transaction
from imagent.kb.schema import MIGRATIONS
from imagent.kb.terms import match_expression, query_terms
from imagent.memory.migrations import migrate

BUSY_TIMEOUT_MS = 5000
TITLE_WEIGHT = 3.0  # bm25() column weights: a term in the title counts three times
T = TypeVar("T")
Status = Literal["added", "updated", "unchanged", "empty"]


class AddResult(Record):
    source: str
    status: Status
    passages: int = 0
    title: str = ""


class DocumentInfo(Record):
    source: str
    title: str
    kind: str
    url: str | None
    date: str | None
    passages: int
    size: int | None
    added_at: str


class PassageHit(Record):
    title: str
    url: str | None
    text: str
    date: str | None
    score: float
    source: str


class KnowledgeBase:
    """Add, list, remove and search documents. Thread-safe; one connection per instance."""

    def __init__(self, path: Path | str = ":memory:", *, reranker: Reranker | None = None) -> None:
        if sqlite3.sqlite_version_info < (3, 34):
            raise ConfigError(
                f"the knowledge base needs SQLite 3.34 or newer (trigram search); this Python "
                f"has {sqlite3.sqlite_version}"
            )
        self.path = Path(path).expanduser() if str(path) != ":memory:" else None
        self.reranker = reranker
        self._lock = threading.Lock()
        self._conn = _connect(self.path)

    # -- adding ----------------------------------------------------------------------------

    def add_file(self, path: Path) -> AddResult:
        """Index one file; unchanged files (same size and mtime, or same bytes) are skipped."""
        source = str(path.resolve())
        stat = path.stat()
        known = self._run(
            lambda c: c.execute(
                "SELECT size, mtime, sha256, title FROM documents WHERE source = ?", (source,)
            ).fetchone()
        )
        if known and (known[0], known[1]) == (stat.st_size, stat.st_mtime):
            return AddResult(source=source, status="unchanged", title=known[3])
        digest = _file_sha256(path)
        if known and known[2] == digest:
            self._run(
                lambda c: c.execute(
                    "UPDATE documents SET mtime = ? WHERE source = ?", (stat.st_mtime, source)
                )
            )
            return AddResult(source=source, status="unchanged", title=known[3])
        document = read_document(path)
        return self._store(document, digest, stat.st_size, stat.st_mtime)

    def add_document(self, document: Document) -> AddResult:
        """Index a document given in memory; its `source` (or its content) identifies it."""
        digest = hashlib.sha256(
            "\x1f".join(
                (document.title, document.text, document.url or "", document.date or "")
            ).encode("utf-8")
        ).hexdigest()
        document = document.model_copy(update={"source": document.source or f"sha256:{digest}"})
        known = self._run(
            lambda c: c.execute(
                "SELECT sha256 FROM documents WHERE source = ?", (document.source,)
            ).fetchone()
        )
        if known and known[0] == digest:
            return AddResult(source=document.source, status="unchanged", title=document.title)
        return self._store(document, digest, None, None)

    def _store(
        self, doc: Document, digest: str, size: int | None, mtime: float | None
    ) -> AddResult:
        chunks = passages(doc.text)
        if not chunks:
            self.remove(doc.source)
            return AddResult(source=doc.source, status="empty", title=doc.title)

        def write(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                replaced = delete_document(conn, doc.source)
                insert_document(conn, doc, chunks, digest=digest, size=size, mtime=mtime)
            return replaced

        status: Status = "updated" if self._run(write) else "added"
        return AddResult(source=doc.source, status=status, passages=len(chunks), title=doc.title)

    # -- reading ---------------------------------------------------------------------------

    def remove(self, source: str) -> bool:
        """Forget a document by its source (a path is resolved); True when one was removed."""
        candidates = [source]
        if not source.startswith("sha256:"):
            candidates.append(str(Path(source).expanduser().resolve()))

        def delete(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                return any(delete_document(conn, candidate) for candidate in candidates)

        return self._run(delete)

    def documents(self) -> list[DocumentInfo]:
        rows = self._run(
            lambda c: c.execute(
                "SELECT d.source, d.title, d.kind, d.url, d.date, count(p.id), d.size, d.added_at "
                "FROM documents d LEFT JOIN passages p ON p.doc_id = d.id "
                "GROUP BY d.id ORDER BY d.added_at, d.id"
            ).fetchall()
        )
        keys = ("source", "title", "kind", "url", "date", "passages", "size", "added_at")
        return [DocumentInfo(**dict(zip(keys, row, strict=True))) for row in rows]

    def search(self, query: str, k: int = 5) -> list[PassageHit]:
        """The `k` passages best matching `query`, best first."""
        words, grams = query_terms(query)
        pool = max(4 * k, 20)
        lists = [
            self._ranked("passages_words", match_expression(words), pool),
            self._ranked("passages_grams", match_expression(grams), pool),
        ]
        fused = fuse(lists)[:pool]
        if self.reranker is not None and len(fused) > 1:
            texts = self._texts([rowid for rowid, _ in fused])
            fused = rerank(fused, [texts[rowid] for rowid, _ in fused], query, self.reranker)
        return self._hits(fused[:k])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _ranked(self, table: str, expression: str | None, limit: int) -> list[int]:
        if expression is None:
            return []
        sql = (
            f"SELECT rowid FROM {table} WHERE {table} MATCH ? "
            f"ORDER BY bm25({table}, {TITLE_WEIGHT}, 1.0) LIMIT ?"
        )
        return [
            row[0] for row in self._run(lambda c: c.execute(sql, (expression, limit)).fetchall())
        ]

    def _texts(self, ids: list[int]) -> dict[int, str]:
        marks = ",".join("?" * len(ids))
        sql = (
            f"SELECT p.id, d.title || '. ' || p.text FROM passages p JOIN documents d "
            f"ON d.id = p.doc_id WHERE p.id IN ({marks})"
        )
        return dict(self._run(lambda c: c.execute(sql, ids).fetchall()))

    def _hits(self, ranked: list[tuple[int, float]]) -> list[PassageHit]:
        if not ranked:
            return []
        marks = ",".join("?" * len(ranked))
        sql = (
            "SELECT p.id, d.title, d.url, p.text, d.date, d.source FROM passages p "
            f"JOIN documents d ON d.id = p.doc_id WHERE p.id IN ({marks})"
        )
        rows = {
            row[0]: row[1:]
            for row in self._run(lambda c: c.execute(sql, [i for i, _ in ranked]).fetchall())
        }
        keys = ("title", "url", "text", "date", "source")
        return [
            PassageHit(**dict(zip(keys, rows[rowid], strict=True)), score=round(score, 6))
            for rowid, score in ranked
            if rowid in rows
        ]

    def _run(self, call: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return call(self._conn)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _connect(path: Path | None) -> sqlite3.Connection:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; no fsync per commit
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, MIGRATIONS)
    except BaseException:
        conn.close()
        raise
    return conn
