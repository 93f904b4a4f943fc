"""`imagent bench run` and `imagent bench compare`."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from imagent.bench.report import chart_png, compare_rows, report_markdown
from imagent.bench.run import CASE_SEARCH, BenchConfig, CaseRecord, done_ids, run_cases
from imagent.bench.scores import summarise
from imagent.bench.suite import Case, load_suite, resolve_suite, sha256_of
from imagent.core.errors import ConfigError, ImagentError
from imagent.settings import Settings

bench_app = typer.Typer(no_args_is_help=True, help="Benchmark the agent on a suite of cases.")
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


@bench_app.command("run")
def run(
    suite: Annotated[str, typer.Argument(help="A suite .jsonl, or a name in benchmarks/suites/")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for results and report")],
    mode: Annotated[
        str, typer.Option("--mode", help="agent, or direct (the bare renderer)")
    ] = "agent",
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Score expect items on the final prompt; no render")
    ] = False,
    llm: Annotated[str | None, typer.Option("--llm", help="Planner LLM id")] = None,
    renderer: Annotated[str | None, typer.Option("--renderer", help="Renderer id")] = None,
    judges: Annotated[
        str | None, typer.Option("--judges", help="Comma-separated judge ids")
    ] = None,
    search: Annotated[
        str, typer.Option("--search", help="'case' (each case's documents), 'none', or an id")
    ] = CASE_SEARCH,
    today: Annotated[
        str | None, typer.Option("--today", help="The date cases are set on, YYYY-MM-DD")
    ] = None,
    max_rounds: Annotated[int, typer.Option("--max-rounds", min=0, max=10)] = 1,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=64)] = 4,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N cases")] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only", help="Only these capabilities, subtasks or case ids (comma-separated)"
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Discard earlier results in --out")
    ] = False,
) -> None:
    """Run every case and write results.jsonl, summary.json, report.md and chart.png."""
    if mode not in ("agent", "direct"):
        _fail(f"--mode {mode!r}: use agent or direct", 2)
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        _fail(f"--today {today!r} is not a date like 2026-11-25", 2)
        raise
    settings = Settings()
    try:
        path = resolve_suite(suite)
        cases = select(load_suite(path), only, limit)
        config = BenchConfig(
            suite=path.stem,
            suite_sha256=sha256_of(path),
            mode=mode,  # type: ignore[arg-type]
            plan_only=plan_only,
            llm=llm or settings.llm,
            renderer=renderer or settings.renderer,
            judges=[j.strip() for j in judges.split(",")] if judges else list(settings.judges),
            search=search,
            today=day.isoformat(),
            max_rounds=max_rounds,
        )
        if fresh and out.exists():
            shutil.rmtree(out)
        todo = len(cases) - len(done_ids(out, config) & {c.id for c in cases})
        records = _run_with_progress(cases, config, settings, out, concurrency, todo)
    except ImagentError as exc:
        _fail(str(exc))
        return
    summary = write_outputs(out, config, records)
    _print_summary(summary, out)


def select(cases: list[Case], only: str | None, limit: int | None) -> list[Case]:
    """The cases named by `--only` (capabilities, subtasks or ids), then the first `limit`."""
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        cases = [c for c in cases if wanted & {c.capability, c.subtask, c.id}]
        if not cases:
            raise ConfigError(f"--only {only!r} matches no case")
    return cases[:limit] if limit else cases


def _run_with_progress(
    cases: list[Any],
    config: BenchConfig,
    settings: Settings,
    out: Path,
    concurrency: int,
    todo: int,
) -> list[CaseRecord]:
    # Runs (and the embedded model's files) stay out of the user's own data folder.
    bench_settings = settings.model_copy(
        update={"home": out / "home", "model_dir": settings.models_dir}
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("passed {task.fields[passed]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as progress:
        bar = progress.add_task(f"{config.suite} ({config.mode})", total=todo, passed=0)
        passed = 0

        def done(record: CaseRecord) -> None:
            nonlocal passed
            passed += record.passed
            progress.update(bar, advance=1, passed=passed)

        return asyncio.run(
            run_cases(cases, config, bench_settings, out, concurrency=concurrency, on_done=done)
        )


def write_outputs(out: Path, config: BenchConfig, records: list[CaseRecord]) -> dict[str, Any]:
    header = {**config.__dict__, "machine": machine()}
    summary = summarise(records, header)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    chart_png(summary, out / "chart.png")
    (out / "report.md").write_text(report_markdown(summary, records), encoding="utf-8")
    return summary


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    table = Table(title=f"IA-score {summary['ia_score']:.1f}")
    for column in ("group", "cases", "CA %", "PR %", "unverified"):
        table.add_column(column)
    for name, group in {**summary["capabilities"], **summary["subtasks"]}.items():
        table.add_row(
            name,
            str(group["cases"]),
            f"{100 * group['ca']:.1f}",
            f"{100 * group['pr']:.1f}",
            str(group["unverified_items"]),
        )
    console.print(table)
    latency = summary["latency_s"]
    console.print(
        f"latency p50 {latency['p50']:.2f} s, p95 {latency['p95']:.2f} s; "
        f"{summary['llm_calls']['total']} LLM calls, {summary['tokens']} tokens, "
        f"${summary['cost_usd']:.4f}"
    )
    console.print(f"[dim]{out / 'report.md'}[/dim]")


@bench_app.command("compare")
def compare(
    first: Annotated[Path, typer.Argument(help="A bench --out folder (the baseline)")],
    second: Annotated[Path, typer.Argument(help="Another bench --out folder")],
) -> None:
    """PR and CA deltas per capability and subtask, and the IA-score delta (B − A)."""
    summaries = []
    for folder in (first, second):
        path = folder / "summary.json"
        if not path.is_file():
            _fail(f"{path} does not exist: give folders written by `imagent bench run`")
        summaries.append(json.loads(path.read_text("utf-8")))
    a, b = summaries
    table = Table(title=f"{first.name} → {second.name}")
    for column in ("group", "PR A %", "PR B %", "Δ PR", "Δ CA"):
        table.add_column(column)
    for row in compare_rows(a, b):
        table.add_row(*row)
    console.print(table)
    if a.get("suite_sha256") != b.get("suite_sha256"):
        console.print("[yellow]warning:[/yellow] the two runs used different suite files")
