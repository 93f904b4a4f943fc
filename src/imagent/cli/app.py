"""`imagent`: generate, plan, runs and doctor."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from imagent.agent.agent import Agent
from imagent.cli import doctor as doctor_mod
from imagent.cli import errors, signals
from imagent.cli.bench import bench_app
from imagent.cli.kb import kb_app
from imagent.cli.memory import memory_app
from imagent.cli.options import Session, User
from imagent.cli.progress import Progress
from imagent.cli.views import show_result, verdict_line
from imagent.core.errors import InputError
from imagent.core.types import AskMode, Request, Result
from imagent.runs.store import RunStore
from imagent.settings import Settings

app = typer.Typer(
    cls=errors.ReportingGroup, no_args_is_help=True, help="imagent: a context-aware image agent."
)
runs_app = typer.Typer(no_args_is_help=True, help="List, show and resume saved runs.")
app.add_typer(runs_app, name="runs")
app.add_typer(bench_app, name="bench")
app.add_typer(kb_app, name="kb")
app.add_typer(memory_app, name="memory")
console = Console()
err = errors.err
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


_chosen: dict[str, Any] = {"profile": None}  # global options of this invocation


@app.callback()
def _global_options(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help="Backend preset: qwen, openai or local (else IMAGENT_PROFILE)"
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Show the traceback of an error (also IMAGENT_DEBUG=1)"),
    ] = False,
) -> None:
    _chosen["profile"], _chosen["debug"] = profile, debug


def _settings(**overrides: Any) -> Settings:
    """Settings from the environment and config file; ConfigError names what is wrong."""
    profile = _chosen["profile"]
    if profile:
        overrides["profile"] = profile
    return Settings(**overrides)


def _run(
    work: Callable[[Progress], Coroutine[Any, Any, T]], *, verbose: bool = False, saves: bool = True
) -> T:
    """Run async CLI work with a progress display; Ctrl-C or SIGTERM stops it within a
    second, and the interruption names the run it saved (`saves`: the work saves a run)."""
    progress = Progress(err, verbose=verbose)

    async def main() -> T:
        with progress:
            return await work(progress)

    try:
        return signals.run_async(main)
    except signals.Interrupted as exc:
        exc.run_id = progress.run_id if saves else None
        exc.status = progress.finished or exc.status
        raise


def _agent(settings: Settings, search: str | None, progress: Progress | None) -> Agent:
    return Agent(settings, search=search, on_event=progress)


def _request(prompt: str, **fields: Any) -> Request:
    """The request, validated now: a bad option fails before anything runs."""
    clean = {k: v for k, v in fields.items() if v not in (None, [])}
    examples = {"llm": "local/qwen2.5-coder-1.5b (or none)", "renderer": "layout/poster"}
    for field, example in examples.items():
        if field in clean and not str(clean[field]).strip():
            raise InputError(
                f"{clean[field]!r} is empty: give an id such as {example}", field=field
            )
    for judge in clean.get("judges", []):
        if not judge.strip():
            raise InputError(f"{judge!r} is empty: give a judge id such as ocr", field="judges")
    try:
        return Request(prompt=prompt, **clean)
    except ValidationError as exc:
        given = {"prompt": prompt, **clean, **clean.get("options", {})}
        raise InputError(errors.validation_line(exc, given)) from exc


def _check_out(out: Path | None) -> None:
    """`--out` must be a file path whose folder can exist."""
    if out is None:
        return
    if out.is_dir():
        raise InputError(
            f"{out} is a folder: give a file name such as {out / 'final.png'}", field="out"
        )
    parent = next((p for p in out.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(f"{parent} is a file, not a folder: choose another path", field="out")


def _copy_out(source: str, out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, out)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}", field="out") from exc


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
    user: User = "default",
    session: Session = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also copy final.png here")
    ] = None,
    private: Annotated[
        bool,
        typer.Option(
            "--private",
            help="Leave the prompt and anything from memory out of the PNGs' metadata",
        ),
    ] = False,
    as_json: Json = False,
    verbose: Verbose = False,
) -> None:
    """Plan, ground, compose, render, judge and repair: writes a run folder with final.png."""
    settings = _settings(**({"private_outputs": True} if private else {}))
    options = {
        "max_rounds": settings.max_rounds if max_rounds is None else max_rounds,
        "mode": AskMode.ASK if ask else AskMode.FILL,
    }
    request = _request(
        prompt, n=n, size=size, seed=seed, llm=llm, renderer=renderer, judges=judge,
        images=image, mask=mask, user_id=user, session_id=session, options=options,
    )  # fmt: skip
    _check_out(out)

    async def work(progress: Progress) -> Result:
        return await _agent(settings, search, progress).run(request)

    result = _run(work, verbose=verbose)
    if out is not None and result.final_image:
        _copy_out(result.final_image, out)
    _emit(result, as_json)


@app.command()
def plan(
    prompt: Annotated[str, typer.Argument(help="What you want, in your own words")],
    llm: Llm = None,
    renderer: RendererOpt = None,
    search: SearchOpt = None,
    size: Size = None,
    seed: Seed = None,
    user: User = "default",
    session: Session = None,
    as_json: Json = False,
    verbose: Verbose = False,
) -> None:
    """Show what the agent would do: gaps → route → resolution, final prompt, checklist."""
    settings = _settings()
    request = _request(
        prompt, llm=llm, renderer=renderer, size=size, seed=seed, user_id=user, session_id=session
    )

    async def work(progress: Progress) -> Result:
        return await _agent(settings, search, progress).plan(request)

    _emit(_run(work, verbose=verbose, saves=False), as_json)


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
    _emit(RunStore(_settings().runs_dir).load(run_id), as_json)


@runs_app.command("resume")
def runs_resume(run_id: str, as_json: Json = False, verbose: Verbose = False) -> None:
    """Carry on a run that stopped on an error or was interrupted, from its first step not
    done (steps already finished are not redone)."""
    settings = _settings()

    async def work(progress: Progress) -> Result:
        return await Agent(settings, on_event=progress).resume(run_id)

    _emit(_run(work, verbose=verbose), as_json)


@app.command()
def doctor(
    ping: Annotated[
        bool, typer.Option("--ping", help="Also call each configured hosted backend once")
    ] = False,
) -> None:
    """Check the installation: configuration, data folders, extras, embedded model files and
    the default backends; exits 1 when any problem is found, each listed with its fix."""
    healthy = doctor_mod.report(console, profile=_chosen["profile"], ping=ping)
    raise typer.Exit(0 if healthy else 1)


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        if signals.abandoned_work():  # an interrupted run left a model call running
            signals.exit_now(exc.code if isinstance(exc.code, int) else 1)
        raise
