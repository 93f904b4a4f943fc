"""Memory providers: one contract suite for every provider, then SQLite specifics."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from imagent.memory.base import Memory, MemoryEntry
from imagent.memory.migrations import MIGRATIONS, Migration, applied, migrate
from imagent.memory.sqlite import SQLiteMemory
from imagent.registry import resolve
from imagent.settings import Settings

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def entry(content: str, *, at: int = 0, **fields: object) -> MemoryEntry:
    data: dict[str, object] = {"user_id": "ann", "content": content}
    data.update(fields)
    return MemoryEntry.model_validate({**data, "created_at": T0 + timedelta(seconds=at)})


@pytest.fixture(params=["sqlite", "fake"])
async def memory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Memory]:
    backend = resolve("memory", request.param, Settings(home=tmp_path))
    yield backend
    await backend.aclose()


# --- contract: every provider ---------------------------------------------------------------


async def test_history_is_oldest_first_and_round_trips(memory: Memory) -> None:
    second = entry("make it blue", at=2, session_id="s1", role="agent", kind="choice", run_id="r1")
    first = entry("a poster", at=1, session_id="s1")
    await memory.remember(second)
    await memory.remember(first)
    assert await memory.history("ann") == [first, second]


async def test_history_keeps_the_last_limit_entries(memory: Memory) -> None:
    for i in range(5):
        await memory.remember(entry(f"m{i}", at=i))
    assert [e.content for e in await memory.history("ann", limit=2)] == ["m3", "m4"]
    assert await memory.history("ann", limit=0) == []


async def test_same_timestamp_keeps_insertion_order(memory: Memory) -> None:
    for i in range(3):
        await memory.remember(entry(f"m{i}"))
    assert [e.content for e in await memory.history("ann")] == ["m0", "m1", "m2"]


async def test_history_of_one_session(memory: Memory) -> None:
    await memory.remember(entry("a", at=1, session_id="s1"))
    await memory.remember(entry("b", at=2, session_id="s2"))
    await memory.remember(entry("c", at=3))
    assert [e.content for e in await memory.history("ann", "s2")] == ["b"]
    assert [e.content for e in await memory.history("ann")] == ["a", "b", "c"]


async def test_users_are_isolated(memory: Memory) -> None:
    await memory.remember(entry("mine"))
    await memory.remember(entry("name: Bob", user_id="bob", kind="profile"))
    assert [e.content for e in await memory.history("ann")] == ["mine"]
    assert await memory.profile("ann") == {}
    assert await memory.forget("ann") == 1
    assert [e.content for e in await memory.history("bob")] == ["name: Bob"]


async def test_unknown_user_is_empty(memory: Memory) -> None:
    assert await memory.history("nobody") == []
    assert await memory.profile("nobody") == {}
    assert await memory.forget("nobody") == 0


async def test_profile_later_entries_win_and_keys_are_normalised(memory: Memory) -> None:
    await memory.remember(entry("Favourite Colour: green", at=1, kind="profile"))
    await memory.remember(entry("favourite colour : teal\nCity: Lyon", at=2, kind="profile"))
    await memory.remember(entry("no colon here", at=3, kind="profile"))
    await memory.remember(entry("style: not a profile entry", at=4))
    await memory.remember(entry("  NAME  :  Ann: the first ", at=5, kind="profile"))
    assert await memory.profile("ann") == {
        "favourite colour": "teal",
        "city": "Lyon",
        "name": "Ann: the first",
    }


async def test_profile_order_is_by_time_not_insertion(memory: Memory) -> None:
    await memory.remember(entry("city: Paris", at=5, kind="profile"))
    await memory.remember(entry("city: Lyon", at=1, kind="profile"))
    assert await memory.profile("ann") == {"city": "Paris"}


async def test_forget_a_session_or_everything(memory: Memory) -> None:
    await memory.remember(entry("a", at=1, session_id="s1"))
    await memory.remember(entry("b", at=2, session_id="s1"))
    await memory.remember(entry("c", at=3, session_id="s2"))
    assert await memory.forget("ann", "s1") == 2
    assert [e.content for e in await memory.history("ann")] == ["c"]
    assert await memory.forget("ann") == 1
    assert await memory.history("ann") == []


async def test_naive_timestamps_are_taken_as_utc(memory: Memory) -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    await memory.remember(MemoryEntry(user_id="ann", content="x", created_at=naive))
    [got] = await memory.history("ann")
    assert got.created_at == naive.replace(tzinfo=UTC)


async def test_unicode_content(memory: Memory) -> None:
    text = "Straße “quoted” — 東京 🎨 \u0000 end"
    await memory.remember(entry(text, user_id="ünï"))
    assert [e.content for e in await memory.history("ünï")] == [text]


async def test_concurrent_writes(memory: Memory) -> None:
    await asyncio.gather(*(memory.remember(entry(f"m{i}", at=i)) for i in range(20)))
    assert [e.content for e in await memory.history("ann")] == [f"m{i}" for i in range(20)]


# --- SQLite specifics ------------------------------------------------------------------------


def test_sqlite_default_path_and_model_path(tmp_path: Path) -> None:
    assert SQLiteMemory("", Settings(home=tmp_path)).path == tmp_path / "memory.db"
    custom = tmp_path / "elsewhere" / "mem.db"
    backend = resolve("memory", f"sqlite:{custom}", Settings(home=tmp_path))
    assert isinstance(backend, SQLiteMemory)
    assert backend.path == custom


async def test_sqlite_creates_nothing_until_used(tmp_path: Path) -> None:
    backend = resolve("memory", "sqlite", Settings(home=tmp_path / "home"))
    assert not (tmp_path / "home").exists()
    await backend.remember(entry("x"))
    assert (tmp_path / "home" / "memory.db").exists()
    await backend.aclose()


async def test_sqlite_persists_across_instances(tmp_path: Path) -> None:
    first = SQLiteMemory("", Settings(home=tmp_path))
    await first.remember(entry("kept", session_id="s1"))
    await first.remember(entry("lang: fr", kind="profile", at=1))
    await first.aclose()
    second = SQLiteMemory("", Settings(home=tmp_path))
    assert [e.content for e in await second.history("ann")] == ["kept", "lang: fr"]
    assert await second.profile("ann") == {"lang": "fr"}
    await second.aclose()


async def test_sqlite_separate_db_files_are_separate(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    one = resolve("memory", f"sqlite:{tmp_path / 'one.db'}", settings)
    two = resolve("memory", f"sqlite:{tmp_path / 'two.db'}", settings)
    await one.remember(entry("in one"))
    assert await two.history("ann") == []
    await one.aclose()
    await two.aclose()


async def test_sqlite_migrations_recorded_and_not_reapplied(tmp_path: Path) -> None:
    backend = SQLiteMemory("", Settings(home=tmp_path))
    await backend.remember(entry("x"))
    await backend.aclose()
    db = tmp_path / "memory.db"
    with closing(sqlite3.connect(db)) as conn:
        before = conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
    assert [name for name, _ in before] == [m.name for m in MIGRATIONS]
    assert before[0][0] == "0001_entries"

    reopened = SQLiteMemory("", Settings(home=tmp_path))
    assert [e.content for e in await reopened.history("ann")] == ["x"]
    await reopened.aclose()
    with closing(sqlite3.connect(db)) as conn:
        after = conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall()
    assert after == before


def test_migrate_applies_only_missing_ones(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    assert migrate(conn) == ["0001_entries"]
    assert migrate(conn) == []
    extra = Migration("0002_notes", ("CREATE TABLE notes (id INTEGER PRIMARY KEY)",))
    assert migrate(conn, (*MIGRATIONS, extra)) == ["0002_notes"]
    assert applied(conn) == ["0001_entries", "0002_notes"]
    conn.close()


def test_failed_migration_rolls_back_and_is_not_recorded(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    broken = Migration("0002_broken", ("CREATE TABLE half (id INTEGER)", "NOT SQL AT ALL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (*MIGRATIONS, broken))
    assert applied(conn) == ["0001_entries"]
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert "half" not in tables
    assert not conn.in_transaction
    conn.close()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    backend = SQLiteMemory("", Settings(home=tmp_path))
    await backend.remember(entry("x"))
    assert await backend._run(lambda c: c.execute("PRAGMA foreign_keys").fetchone()) == (1,)
    busy = await backend._run(lambda c: c.execute("PRAGMA busy_timeout").fetchone())
    assert busy is not None
    assert busy[0] > 0
    await backend.aclose()
    with closing(sqlite3.connect(tmp_path / "memory.db")) as conn:  # WAL is a property of the file
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_sqlite_two_instances_share_one_file(tmp_path: Path) -> None:
    writer = SQLiteMemory("", Settings(home=tmp_path))
    reader = SQLiteMemory("", Settings(home=tmp_path))
    await reader.history("ann")  # both connections open before the write
    await writer.remember(entry("seen"))
    assert [e.content for e in await reader.history("ann")] == ["seen"]
    await writer.aclose()
    await reader.aclose()


async def test_sqlite_reopens_after_aclose(tmp_path: Path) -> None:
    backend = SQLiteMemory("", Settings(home=tmp_path))
    await backend.remember(entry("a"))
    await backend.aclose()
    await backend.aclose()  # idempotent
    await backend.remember(entry("b", at=1))
    assert [e.content for e in await backend.history("ann")] == ["a", "b"]
    await backend.aclose()


async def test_sqlite_in_memory_database(tmp_path: Path) -> None:
    backend = resolve("memory", "sqlite::memory:", Settings(home=tmp_path))
    await backend.remember(entry("x"))
    assert [e.content for e in await backend.history("ann")] == ["x"]
    await backend.aclose()
    assert not (tmp_path / "memory.db").exists()
