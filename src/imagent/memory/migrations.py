"""Named forward migrations for the memory database.

Each migration runs once, in its own transaction, and is recorded by name in
`schema_migrations`. Add new ones at the end of `MIGRATIONS`; never edit or reorder applied ones.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Migration:
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_entries",
        (
            """CREATE TABLE entries (
                id INTEGER PRIMARY KEY,
                user_id TEXT NOT NULL,
                session_id TEXT,
                role TEXT NOT NULL,
                kind TEXT NOT NULL,
                content TEXT NOT NULL,
                run_id TEXT,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX entries_user_session_time ON entries (user_id, session_id, created_at)",
        ),
    ),
)

_TRACKING_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
)


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations already applied to `conn`'s database, in the order applied."""
    conn.execute(_TRACKING_TABLE)
    rows = conn.execute("SELECT name FROM schema_migrations ORDER BY applied_at, rowid")
    return [name for (name,) in rows]


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the migrations `conn` lacks; returns the names applied now.

    `conn` must be in autocommit mode (`isolation_level=None`) so that each migration's
    transaction is ours. `BEGIN IMMEDIATE` takes the write lock before checking, so two
    processes opening a new database at once apply each migration exactly once.
    """
    conn.execute(_TRACKING_TABLE)
    done: list[str] = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            seen = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)
            ).fetchone()
            if seen is None:
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.name, datetime.now(UTC).isoformat(timespec="microseconds")),
                )
                done.append(migration.name)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return done
