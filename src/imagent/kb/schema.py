"""Named forward migrations of the knowledge-base database (see `memory.migrations`)."""

from __future__ import annotations

from imagent.memory.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_documents_and_passages",
        (
            """CREATE TABLE documents (
                id INTEGER PRIMARY KEY,
                source TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                url TEXT,
                date TEXT,
                kind TEXT NOT NULL,
                size INTEGER,
                mtime REAL,
                sha256 TEXT NOT NULL,
                added_at TEXT NOT NULL
            )""",
            """CREATE TABLE passages (
                id INTEGER PRIMARY KEY,
                doc_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                ord INTEGER NOT NULL,
                text TEXT NOT NULL
            )""",
            "CREATE INDEX passages_doc ON passages (doc_id, ord)",
            # Words (CJK as bigrams, see terms.index_text) with Porter stemming for BM25.
            "CREATE VIRTUAL TABLE passages_words USING fts5("
            "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
            # The same passages as written, for substrings of three characters or more.
            "CREATE VIRTUAL TABLE passages_grams USING fts5(title, body, tokenize = 'trigram')",
            # A passage leaving (directly or with its document) leaves both indexes.
            """CREATE TRIGGER passages_deleted AFTER DELETE ON passages BEGIN
                DELETE FROM passages_words WHERE rowid = old.id;
                DELETE FROM passages_grams WHERE rowid = old.id;
            END""",
        ),
    ),
)
