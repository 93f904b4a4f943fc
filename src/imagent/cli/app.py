"""`imagent`: generate, plan, runs and doctor."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from imagent.agent.agent import Agent
from imagent.cli import doctor as doctor_mod
from imagent.cli.bench import bench_app
from imagent.cli.kb import kb_app
from imagent.cli.progress import Progress
from imagent.cli.views import show_result, verdict_line
from imagent.core.errors import ImagentError
from imagent.core.types import AskMode, Request, Result, RunOptions
from imagent.runs.redact import redact_text
from imagent.runs.store import RunStore
from imagent.settings import Settings

app = typer.Typer(no_args_is_help=True, help="imagent: a context-aware image agent.")
runs_app = typer.Typer(no_args_is_help=True, help="List, show and resume saved runs.")
app.add_typer(runs_app, name="runs")
app.add_typer(bench_app, name="bench")
app.add_typer(kb_app, name="kb")
console = Console()
err = Console(stderr=True)
T = TypeVar("T")

Llm = Annotated[
    str | None,
    typer.Option("--llm", help="LLM id, e.g. local/qwen2.5-coder-1.5b; 'none' = rules only"),
]
RendererOpt = Annotated[
    str | None, typer.Option("--renderer", "-r", help="Renderer id, e.g. layout/poster")
]
JudgeOpt = Annotated[list[str] | None, typer.Option("--judge", "-j", help="Judge id (repeatable)")]
SearchOpt = Annotated[str | None, typer.Option("--search", help="Search id, e.g. fake/docs.jsonl")]
Size = Annotated[str | None, typer.Option("--size", "-s", help="WIDTHxHEIGHT, e.g. 1024x768")]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed of the first candidate")]
Json = Annotated[bool, typer.Option("--json", help="Print the Result as JSON")]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print every decision as it happens")
]


_chosen: dict[str, str | None] = {"profile": None}  # global options of this invocation


@app.callback()
def _global_options(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="Backend preset: qwen, openai or local (else IMAGENT_PROFILE)"
        ),
    ] = None,
) -> None:
    _chosen["profile"] = profile


def _settings() -> Settings:
    try:
        profile = _chosen["profile"]
        return Settings(profile=profile) if profile else Settings()
    except ValidationError as exc:
        _fail(f"bad setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
        raise AssertionError from exc  # unreachable


def _fail(message: str, code: int = 1) -> None:
    # Escaped: messages quote config sections ("[providers.openai]") and extras
    # ("imagent[local]"). Redacted: a provider's message may echo what it was sent.
    err.print(f"[red]error:[/red] {escape(redact_text(message))}")
    raise typer.Exit(code)


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async CLI work, turning known errors into one clear line and an exit code."""
    try:
        return asyncio.run(work())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        _fail(f"{where}: {first['msg'].removeprefix('Value error, ')}", 2)
    except ImagentError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; a saved run can be resumed with `imagent runs resume ID`", 130)
    raise AssertionError("unreachable")


def _agent(settings: Settings, search: str | None, progress: Progress | None) -> Agent:
    return Agent(settings, search=search, on_event=progress)


def _request(prompt: str, **fields: Any) -> Request:
    options = fields.pop("options")
    clean = {k: v for k, v in fields.items() if v not in (None, [])}
    return Request(prompt=prompt, options=options, **clean)


def _emit(result: Result, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        show_result(console, result)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What you want, in your own words")],
    n: Annotated[int, typer.Option("--n", "-n", help="Candidates per round")] = 1,
    size: Size = None,
    seed: Seed = None,
    llm: Llm = None,
    renderer: RendererOpt = None,
    judge: JudgeOpt = None,
    search: SearchOpt = None,
    image: Annotated[
        list[str] | None, typer.Option("--image", "-i", help="Reference image")
    ] = None,
    mask: Annotated[
        str | None, typer.Option("--mask", help="Edit mask for the first --image (PNG)")
    ] = None,
    max_rounds: Annotated[int | None, typer.Option("--max-rounds", help="Repair rounds")] = None,
    ask: Annotated[bool, typer.Option("--ask", help="Ask back instead of filling gaps")] = False,
    user: Annotated[str, typer.Option("--user", help="User id for memory")] = "default",
    session: Annotated[str | None, typer.Option("--session", help="Session id")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also copy final.png here")
    ] = None,
    as_json: Json = False,
    verbose: Verbose = False,
) -> None:
    """Plan, ground, compose, render, judge and repair: writes a run folder with final.png."""
    settings = _settings()
    options = RunOptions(
        max_rounds=settings.max_rounds if max_rounds is None else max_rounds,
        mode=AskMode.ASK if ask else AskMode.FILL,
    )

    async def work() -> Result:
        request = _request(
            prompt, n=n, size=size, seed=seed, llm=llm, renderer=renderer, judges=judge,
            images=image, mask=mask, user_id=user, session_id=session, options=options,
        )  # fmt: skip
        with Progress(err, verbose=verbose) as progress:
            return await _agent(settings, search, progress).run(request)

    result = _run(work)
    if out is not None and result.final_image:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result.final_image, out)
    _emit(result, as_json)


@app.command()
def plan(
    prompt: Annotated[str, typer.Argument(help="What you want, in your own words")],
    llm: Llm = None,
    renderer: RendererOpt = None,
    search: SearchOpt = None,
    size: Size = None,
    seed: Seed = None,
    as_json: Json = False,
    verbose: Verbose = False,
) -> None:
    """Show what the agent would do: gaps → route → resolution, final prompt, checklist."""
    settings = _settings()

    async def work() -> Result:
        request = _request(
            prompt, llm=llm, renderer=renderer, size=size, seed=seed, options=RunOptions()
        )
        with Progress(err, verbose=verbose) as progress:
            return await _agent(settings, search, progress).plan(request)

    _emit(_run(work), as_json)


@runs_app.command("list")
def runs_list(limit: Annotated[int, typer.Option("--limit", help="How many")] = 20) -> None:
    """The newest runs first."""
    from rich.table import Table

    table = Table(title="Runs")
    for column in ("run id", "status", "prompt", "checklist", "cost"):
        table.add_column(column)
    for result in RunStore(_settings().runs_dir).list(limit):
        table.add_row(
            result.run_id,
            str(result.status),
            result.request.prompt[:60],
            verdict_line(result) if result.checklist else "-",
            f"{result.usage.llm_calls} calls, {sum(result.timings_s.values()):.1f} s",
        )
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: str, as_json: Json = False) -> None:
    """One run: its gaps, final prompt, checklist verdicts and files."""
    try:
        result = RunStore(_settings().runs_dir).load(run_id)
    except ImagentError as exc:
        _fail(str(exc))
        return
    _emit(result, as_json)


@runs_app.command("resume")
def runs_resume(run_id: str, as_json: Json = False, verbose: Verbose = False) -> None:
    """Carry on a run that stopped on an error, from its first step not done."""
    settings = _settings()

    async def work() -> Result:
        with Progress(err, verbose=verbose) as progress:
            return await Agent(settings, on_event=progress).resume(run_id)

    _emit(_run(work), as_json)


@app.command()
def doctor(
    ping: Annotated[
        bool, typer.Option("--ping", help="Also call each configured hosted backend once")
    ] = False,
) -> None:
    """Check the installation: extras, embedded model files, fonts, data folder."""
    healthy = doctor_mod.report(console, _settings(), ping=ping)
    raise typer.Exit(0 if healthy else 1)


def main() -> None:
    app()
