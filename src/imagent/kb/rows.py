"""The knowledge base's writes, each inside one transaction of the caller's."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from imagent.kb.documents import Document
from imagent.kb.terms import index_text


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`, rolled back on any error (the connection autocommits)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def delete_document(conn: sqlite3.Connection, source: str) -> bool:
    """Delete a document and its passages (the trigger clears both indexes)."""
    row = conn.execute("SELECT id FROM documents WHERE source = ?", (source,)).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM passages WHERE doc_id = ?", (row[0],))
    conn.execute("DELETE FROM documents WHERE id = ?", (row[0],))
    return True


def insert_document(
    conn: sqlite3.Connection,
    doc: Document,
    chunks: list[str],
    *,
    digest: str,
    size: int | None,
    mtime: float | None,
) -> None:
    """Insert a document and its passages into the table and both full-text indexes."""
    added_at = datetime.now(UTC).isoformat(timespec="seconds")
    cursor = conn.execute(
        "INSERT INTO documents (source, title, url, date, kind, size, mtime, sha256, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (doc.source, doc.title, doc.url, doc.date, doc.kind, size, mtime, digest, added_at),
    )
    for order, text in enumerate(chunks):
        rowid = conn.execute(
            "INSERT INTO passages (doc_id, ord, text) VALUES (?, ?, ?)",
            (cursor.lastrowid, order, text),
        ).lastrowid
        conn.execute(
            "INSERT INTO passages_words (rowid, title, body) VALUES (?, ?, ?)",
            (rowid, index_text(doc.title), index_text(text)),
        )
        conn.execute(
            "INSERT INTO passages_grams (rowid, title, body) VALUES (?, ?, ?)",
            (rowid, doc.title, text),
        )
