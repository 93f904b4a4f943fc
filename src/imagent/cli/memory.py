"""`imagent memory`: tell the agent about yourself and your things, see what it remembers
about you, and make it forget.

Every request you make is remembered already; `add` is for what you want it to know without
asking for a picture ("my dog is a golden retriever named Biscuit"), `add --profile` for
`key: value` facts ("hair: short curly red hair"), where a later value of a key wins.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from imagent import registry
from imagent.cli.options import Session, User
from imagent.core.errors import InputError
from imagent.core.types import MAX_PROMPT_CHARS, unusable_character
from imagent.memory.base import Memory, MemoryEntry
from imagent.settings import Settings

memory_app = typer.Typer(
    no_args_is_help=True, help="What the agent remembers about you: add, list, profile, forget."
)
console = Console()
T = TypeVar("T")

Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _with_memory(work: Callable[[Memory], Awaitable[T]]) -> T:
    settings = Settings()
    if settings.memory == registry.NONE:
        raise InputError(
            "memory is off (IMAGENT_MEMORY=none): set IMAGENT_MEMORY=sqlite to use it",
            field="memory",
        )
    memory = registry.resolve("memory", settings.memory, settings)

    async def main() -> T:
        try:
            return await work(memory)
        finally:
            await memory.aclose()

    return asyncio.run(main())


def _checked(text: str, profile: bool) -> str:
    text = text.strip()
    if not text:
        example = "hair: short curly red hair" if profile else "my dog is a golden retriever"
        raise InputError(f"nothing to remember: give a sentence such as {example!r}", field="text")
    if len(text) > MAX_PROMPT_CHARS:
        raise InputError(
            f"the text has {len(text)} characters; the limit is {MAX_PROMPT_CHARS}."
            " Put long material in documents (`imagent kb add`) instead",
            field="text",
        )
    if problem := unusable_character(text, "text"):
        raise InputError(problem, field="text")
    if profile:
        for number, line in enumerate(text.splitlines(), start=1):
            key, colon, value = line.partition(":")
            if line.strip() and not (colon and key.strip() and value.strip()):
                raise InputError(
                    f"profile line {number} ({line.strip()!r}) is not `key: value`,"
                    " such as 'hair: short curly red hair'",
                    field="text",
                )
    return text


@memory_app.command("add")
def add(
    text: Annotated[str, typer.Argument(help="What to remember, in your own words")],
    profile: Annotated[
        bool, typer.Option("--profile", help="`key: value` lines; a later value of a key wins")
    ] = False,
    user: User = "default",
    session: Session = None,
) -> None:
    """Tell the agent something about you or your things, for later requests."""
    text = _checked(text, profile)
    entry = MemoryEntry(
        user_id=user, session_id=session, kind="profile" if profile else "message", content=text
    )
    _with_memory(lambda memory: memory.remember(entry))
    console.print(f"remembered for {user}: {text}", markup=False)


@memory_app.command("list")
def list_entries(
    user: User = "default",
    session: Session = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The newest N entries")] = 50,
    as_json: Json = False,
) -> None:
    """What the agent remembers about you, oldest first."""
    entries = _with_memory(lambda memory: memory.history(user, session, limit=limit))
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False))
        return
    if not entries:
        console.print(f"nothing remembered for {user}", markup=False)
        return
    table = Table("when", "session", "who", "kind", "what")
    for e in entries:
        when = e.created_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(when, e.session_id or "", e.role, e.kind, e.content)
    console.print(table)


@memory_app.command("profile")
def profile(user: User = "default", as_json: Json = False) -> None:
    """Your profile: the `key: value` facts, the latest value of each key."""
    facts = _with_memory(lambda memory: memory.profile(user))
    if as_json:
        print(json.dumps(facts, ensure_ascii=False))
        return
    if not facts:
        console.print(f"no profile for {user}: add one with `imagent memory add --profile`")
        return
    table = Table("key", "value")
    for key, value in facts.items():
        table.add_row(key, value)
    console.print(table)


@memory_app.command("forget")
def forget(
    user: User = "default",
    session: Session = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first")] = False,
) -> None:
    """Delete what the agent remembers about you (of one session, with --session)."""
    what = f"session {session} of {user}" if session else f"everything about {user}"
    if not yes and not typer.confirm(f"Forget {what}?"):
        raise typer.Exit(1)
    removed = _with_memory(lambda memory: memory.forget(user, session))
    console.print(f"forgot {removed} entries ({what})", markup=False)
