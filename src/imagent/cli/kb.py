"""`imagent kb`: add, search, list and remove documents of the local knowledge base."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from imagent.backends.search.local import KB_FILE, LocalSearch
from imagent.core.errors import ImagentError
from imagent.kb.documents import DocumentError, supported
from imagent.kb.store import AddResult, KnowledgeBase
from imagent.settings import Settings

kb_app = typer.Typer(no_args_is_help=True, help="Your own documents, searchable offline.")
console = Console()
err = Console(stderr=True)
PROGRESS_FROM = 5  # files; fewer are listed without a bar

Db = Annotated[
    Path | None, typer.Option("--db", help="Knowledge-base file (default: <data>/kb.db)")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _model(db: Path | None) -> str:
    """The `local` model for `--db`: empty for the default file, so its id stays `local`."""
    return str(db.expanduser()) if db is not None else ""


def _db(db: Path | None) -> Path:
    if db is not None:
        return db.expanduser()
    try:
        return Settings().home / KB_FILE
    except ValidationError as exc:
        _fail(f"bad setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
        raise AssertionError from exc  # unreachable


def _files(paths: list[Path], recursive: bool) -> Iterator[Path]:
    """The files to add: named files as given, folders' supported files (sorted)."""
    for path in paths:
        path = path.expanduser()
        if path.is_dir():
            found = path.rglob("*") if recursive else path.iterdir()
            yield from sorted(
                p for p in found if p.is_file() and supported(p) and not p.name.startswith(".")
            )
        elif path.is_file():
            yield path
        else:
            _fail(f"{path} does not exist")


@kb_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .pdf)")],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="Descend into sub-folders")
    ] = False,
    db: Db = None,
) -> None:
    """Index documents; unchanged files are skipped, changed ones replaced."""
    files = list(_files(paths, recursive))
    if not files:
        _fail("no supported files found (.txt, .md, .html, .htm, .pdf); use -r for sub-folders")
    kb = KnowledgeBase(_db(db))
    results: list[AddResult] = []
    failures: list[str] = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        disable=len(files) < PROGRESS_FROM,
        transient=True,
    ) as progress:
        task = progress.add_task("indexing", total=len(files))
        for file in files:
            progress.update(task, description=f"indexing {file.name[:40]}")
            try:
                results.append(kb.add_file(file))
            except (DocumentError, OSError) as exc:
                failures.append(str(exc))
            progress.advance(task)
    kb.close()
    _report(results, failures)
    if failures:
        raise typer.Exit(1)


def _report(results: list[AddResult], failures: list[str]) -> None:
    for result in results:
        if result.status in ("added", "updated"):
            console.print(f"{result.status:>9}  {result.source}  ({result.passages} passages)")
        elif result.status == "empty":
            console.print(
                f"[yellow]{'no text':>9}[/yellow]  {result.source}  (a scanned PDF needs OCR first)"
            )
    for failure in failures:
        err.print(f"[red]   failed[/red]  {failure}")
    counts = Counter(r.status for r in results)
    summary = ", ".join(
        f"{counts[s]} {s}" for s in ("added", "updated", "unchanged", "empty") if counts[s]
    )
    console.print(
        f"{summary or 'nothing added'}" + (f", {len(failures)} failed" if failures else "")
    )


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for")],
    k: Annotated[int, typer.Option("-k", help="How many passages", min=1, max=50)] = 5,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """The passages that best match QUERY, best first."""
    path = _db(db)
    if not path.exists():
        _fail(f"no knowledge base at {path}: add documents with `imagent kb add <files>`")

    async def work() -> list[dict[str, object]]:
        backend = LocalSearch(_model(db), Settings())
        try:
            return [hit.model_dump() for hit in await backend.search(query, k)]
        finally:
            await backend.aclose()

    try:
        hits = asyncio.run(work())
    except ImagentError as exc:
        _fail(str(exc))
        return
    if as_json:
        console.print_json(json.dumps(hits, ensure_ascii=False))
        return
    if not hits:
        console.print("no passage matches")
    for rank, hit in enumerate(hits, start=1):
        console.print(
            f"[bold]{rank}. {hit['title']}[/bold]  [dim]{hit['date'] or ''}  {hit['url'] or ''}[/dim]"
        )
        console.print(f"   {hit['text']}", markup=False, highlight=False)


@kb_app.command("list")
def list_documents(as_json: Json = False, db: Db = None) -> None:
    """The documents in the knowledge base."""
    path = _db(db)
    documents = KnowledgeBase(path).documents() if path.exists() else []
    if as_json:
        console.print_json(json.dumps([d.model_dump() for d in documents], ensure_ascii=False))
        return
    if not documents:
        console.print(f"no documents in {path}; add some with `imagent kb add <files>`")
        return
    table = Table(title=f"{len(documents)} documents in {path}")
    for column in ("title", "kind", "date", "passages", "source"):
        table.add_column(column)
    for doc in documents:
        table.add_row(doc.title, doc.kind, doc.date or "", str(doc.passages), doc.source)
    console.print(table)


@kb_app.command("remove")
def remove(
    sources: Annotated[list[str], typer.Argument(help="Files (or folders) to forget, as added")],
    db: Db = None,
) -> None:
    """Forget documents; a folder forgets every document added from inside it."""
    path = _db(db)
    if not path.exists():
        _fail(f"no knowledge base at {path}")
    kb = KnowledgeBase(path)
    known = [d.source for d in kb.documents()]
    removed = 0
    for source in sources:
        folder = str(Path(source).expanduser().resolve())
        inside = [s for s in known if s.startswith(folder.rstrip("/") + "/")]
        for target in inside or [source]:
            removed += kb.remove(target)
        if not inside and source not in known and folder not in known:
            err.print(f"[yellow]not in the knowledge base:[/yellow] {source}")
    kb.close()
    console.print(f"removed {removed} document{'s' if removed != 1 else ''}")
    if removed == 0:
        raise typer.Exit(1)
