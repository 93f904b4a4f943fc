"""`imagent bench run`: every case of a suite through the agent or the bare renderer.

Cases run concurrently (bounded). Each finished case is appended to `results.jsonl` at
once, so an interrupted run resumes without redoing them. A case's `history` goes through
the real memory path (a SQLite memory of its own, earlier sessions first), its `documents`
are its search corpus, and its checklist is judged by the bench, never shown to the agent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from PIL import Image

from imagent import registry
from imagent.agent.agent import Agent
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM
from imagent.backends.renderer.base import Renderer
from imagent.backends.search.base import Search
from imagent.bench.judge import judge_items, scored_items
from imagent.bench.suite import Case
from imagent.core.errors import ConfigError, ImagentError, RunFailedError
from imagent.core.types import GenerationSpec, Request, Result, RunOptions, Size
from imagent.memory.base import MemoryEntry
from imagent.memory.sqlite import SQLiteMemory
from imagent.runs.png import save_png
from imagent.settings import Settings

Mode = Literal["agent", "direct"]
CASE_SEARCH = "case"  # each case searches its own documents
RESULTS, CONFIG = "results.jsonl", "bench.json"


@dataclass(frozen=True)
class BenchConfig:
    """What a bench run was: resuming into a folder requires the same settings."""

    suite: str
    suite_sha256: str
    mode: Mode
    plan_only: bool
    llm: str
    renderer: str
    judges: list[str]
    search: str
    today: str
    max_rounds: int = 1
    seed: int = 0

    def same_run(self, other: dict[str, Any]) -> bool:
        return {k: v for k, v in asdict(self).items()} == other


@dataclass
class CaseRecord:
    """One line of results.jsonl (the output contract: id, capability, subtask,
    final_prompt, items, passed, latency_s, llm_calls, tokens, cost_usd)."""

    id: str
    capability: str
    subtask: str
    language: str
    final_prompt: str
    items: list[dict[str, Any]]
    passed: bool
    latency_s: float
    llm_calls: int
    tokens: int
    cost_usd: float
    renders: int = 0
    tasks: int = 1
    gaps: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    image: str | None = None
    run_id: str | None = None
    error: str | None = None


@dataclass
class Shared:
    """Backends built once for the whole bench run."""

    llm: LLM | None
    renderer: Renderer
    judges: list[Judge]
    search: Search | None  # None with CASE_SEARCH: each case gets its own

    async def aclose(self) -> None:
        for backend in [self.llm, self.renderer, self.search, *self.judges]:
            if backend is not None:
                await backend.aclose()


def build_shared(config: BenchConfig, settings: Settings) -> Shared:
    llm = None
    if config.mode == "agent" and config.llm != registry.NONE:
        llm = registry.resolve("llm", config.llm, settings)
    search = None
    if config.search not in (CASE_SEARCH, registry.NONE):
        search = registry.resolve("search", config.search, settings)
    return Shared(
        llm=llm,
        renderer=registry.resolve("renderer", config.renderer, settings),
        judges=[registry.resolve("judge", j, settings) for j in config.judges],
        search=search,
    )


def done_ids(out: Path, config: BenchConfig) -> set[str]:
    """Cases already in `out` from an earlier, interrupted run with the same settings."""
    saved = out / CONFIG
    if not saved.is_file():
        return set()
    if not config.same_run(json.loads(saved.read_text("utf-8"))):
        raise ConfigError(
            f"{out} holds a bench run with other settings ({saved}); "
            "use another --out folder, or --fresh to start over"
        )
    results = out / RESULTS
    if not results.is_file():
        return set()
    lines = results.read_text("utf-8").splitlines()
    return {json.loads(line)["id"] for line in lines if line.strip()}


def case_seed(case: Case, base: int) -> int:
    digest = hashlib.sha256(f"{base}:{case.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


async def run_cases(
    cases: list[Case],
    config: BenchConfig,
    settings: Settings,
    out: Path,
    *,
    concurrency: int = 4,
    on_done: Callable[[CaseRecord], None] | None = None,
) -> list[CaseRecord]:
    """Run the cases not yet done; returns every record in `out` (old and new)."""
    out.mkdir(parents=True, exist_ok=True)
    skip = done_ids(out, config)
    (out / CONFIG).write_text(json.dumps(asdict(config), indent=2), encoding="utf-8")
    shared = build_shared(config, settings)
    slots = asyncio.Semaphore(max(1, concurrency))
    lock = asyncio.Lock()

    async def one(case: Case) -> None:
        async with slots:
            record = await run_case(case, config, settings, shared, out)
        async with lock:
            with (out / RESULTS).open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        if on_done is not None:
            on_done(record)

    try:
        await asyncio.gather(*(one(case) for case in cases if case.id not in skip))
    finally:
        await shared.aclose()
    return read_records(out)


def read_records(out: Path) -> list[CaseRecord]:
    path = out / RESULTS
    if not path.is_file():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [CaseRecord(**json.loads(line)) for line in lines if line.strip()]


async def run_case(
    case: Case, config: BenchConfig, settings: Settings, shared: Shared, out: Path
) -> CaseRecord:
    started = time.perf_counter()
    try:
        if config.mode == "direct":
            made = await _direct(case, config, shared, out)
        else:
            made = await _agent(case, config, settings, shared, out)
    except ImagentError as exc:
        cause = exc.__cause__ if isinstance(exc, RunFailedError) and exc.__cause__ else exc
        made = _Made(final_prompt="", error=f"{type(cause).__name__}: {cause}")
    items = scored_items(case.checklist, config.plan_only)
    image = _open(made.image) if made.image and not config.plan_only else None
    verdicts = await judge_items(items, made.final_prompt, image, shared.judges)
    if made.error:
        verdicts = [v.model_copy(update={"passed": False, "reason": made.error}) for v in verdicts]
    return CaseRecord(
        id=case.id,
        capability=case.capability,
        subtask=case.subtask,
        language=case.language,
        final_prompt=made.final_prompt,
        items=[
            {"id": v.item_id, "passed": v.passed, "reason": v.reason, "judge": v.judge}
            for v in verdicts
        ],
        passed=bool(verdicts) and all(v.passed is True for v in verdicts),
        latency_s=round(time.perf_counter() - started, 3),
        **made.usage_fields(),
    )


@dataclass
class _Made:
    final_prompt: str
    image: str | None = None
    result: Result | None = None
    renders: int = 0
    error: str | None = None

    def usage_fields(self) -> dict[str, Any]:
        result = self.result
        if result is None:
            return {
                "llm_calls": 0,
                "tokens": 0,
                "cost_usd": 0.0,
                "renders": self.renders,
                "image": self.image,
                "error": self.error,
            }
        usage = result.usage
        return {
            "llm_calls": usage.llm_calls,
            "tokens": usage.tokens,
            "cost_usd": usage.cost_usd,
            "renders": usage.renders,
            "tasks": len(result.tasks),
            "gaps": [
                {
                    "span": g.span,
                    "route": str(g.route),
                    "status": str(g.status),
                    "resolution": g.resolution,
                    "decided_by": g.decided_by,
                }
                for g in result.gaps
            ],
            "warnings": list(result.warnings),
            "image": self.image,
            "run_id": result.run_id,
            "error": self.error,
        }


async def _agent(
    case: Case, config: BenchConfig, settings: Settings, shared: Shared, out: Path
) -> _Made:
    memory = SQLiteMemory(str(out / "memory" / f"{_safe(case.id)}.db"), settings)
    memory.path.unlink(missing_ok=True)  # a resumed case starts from its history again
    search = shared.search or case_search(case, settings)
    agent = Agent(
        settings,
        llm=shared.llm or registry.NONE,
        renderer=shared.renderer,
        judges=list[Judge | str](shared.judges),
        search=search or registry.NONE,
        memory=memory,
        today=date.fromisoformat(config.today),
    )
    try:
        await feed_history(memory, case)
        request = Request(
            prompt=case.prompt,
            user_id=case.user,
            session_id=case.session,
            seed=case_seed(case, config.seed),
            options=RunOptions(max_rounds=config.max_rounds),
        )
        result = await (agent.plan(request) if config.plan_only else agent.run(request))
    finally:
        await memory.aclose()
        if search is not None and search is not shared.search:
            await search.aclose()
    return _Made(final_prompt=result.final_prompt, image=result.final_image, result=result)


async def feed_history(memory: SQLiteMemory, case: Case) -> None:
    """The case's history, as a real conversation would have left it: earlier sessions
    first (in the order given), then the case's own session, one minute apart."""
    earlier = [h for h in case.history if h.session != case.session]
    own = [h for h in case.history if h.session == case.session]
    start = datetime.now(UTC) - timedelta(minutes=len(case.history) + 1)
    for n, entry in enumerate([*earlier, *own]):
        await memory.remember(
            MemoryEntry(
                user_id=case.user,
                session_id=entry.session,
                role=entry.role,
                kind=entry.kind,
                content=entry.content,
                created_at=start + timedelta(minutes=n),
            )
        )


def case_search(case: Case, settings: Settings) -> Search | None:
    """The case's own documents as its search corpus (None when it has none)."""
    if not case.documents:
        return None
    from imagent.backends.search.local import LocalSearch

    documents = [d.model_dump() for d in case.documents]
    return LocalSearch(documents=documents, settings=settings)


async def _direct(case: Case, config: BenchConfig, shared: Shared, out: Path) -> _Made:
    """The baseline: the raw prompt, straight to the renderer."""
    if config.plan_only:
        return _Made(final_prompt=case.prompt)
    renderer = shared.renderer
    spec = GenerationSpec(
        brief=case.prompt,
        prompt=case.prompt[: renderer.max_prompt_chars],
        subject=case.prompt,
        size=renderer.fit_size(Size(width=1024, height=1024)),
        seeds=[case_seed(case, config.seed)],
    )
    [rendered] = await renderer.render(spec)
    path = out / "direct" / f"{_safe(case.id)}.png"
    record = {"prompt": spec.prompt, "seed": rendered.seed, "renderer": renderer.id}
    await asyncio.to_thread(save_png, rendered.image, path, record)
    return _Made(final_prompt=spec.prompt, image=str(path), renders=1)


def _open(path: str) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def _safe(case_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in case_id)
