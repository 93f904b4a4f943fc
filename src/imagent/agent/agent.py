"""The agent: a plain async state machine over a `Result`.

Steps run in order — load, plan, ground, compose, render (render → judge → repair rounds,
see `rounds`), remember — and the Result is saved after each, so a run that fails half-way keeps what it
did and `resume` carries on from the first step not done.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from imagent.agent import backends as bk
from imagent.agent.checklist import build_checklist
from imagent.agent.compose import compose_spec
from imagent.agent.ground import GroundContext, ground_gaps
from imagent.agent.inputs import check_image
from imagent.agent.plan import make_plan
from imagent.agent.rounds import render_rounds
from imagent.agent.trace import EventCallback, Tracer
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM
from imagent.backends.renderer.base import Renderer
from imagent.backends.search.base import Search
from imagent.core.errors import ImagentError, RunFailedError, StructuredOutputError
from imagent.core.types import GapStatus, Request, Result, RunStatus, utcnow
from imagent.memory.base import Memory, MemoryEntry
from imagent.runs.store import RunStore, new_run_id
from imagent.settings import Settings

STEPS = ("load", "plan", "ground", "compose", "render", "remember")
PLAN_STEPS = ("load", "plan", "ground", "compose")


class Agent:
    """Plans, grounds, composes, renders, judges and repairs image requests.

    Backends may be given as objects or string ids; a `Request` may override the ids per run.
    Backends built from ids live as long as the agent: use `async with Agent() as agent:` (or
    call `aclose()`) to keep their connections across runs. An agent used without `async
    with` closes them when no run is left in flight.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        llm: LLM | str | None = None,
        renderer: Renderer | str | None = None,
        judges: list[Judge | str] | None = None,
        search: Search | str | None = None,
        memory: Memory | str | None = None,
        on_event: EventCallback | None = None,
        today: date | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._llm = llm if llm is not None else self.settings.llm
        self._renderer = renderer or self.settings.renderer
        self._judges: list[Judge | str] = [
            *(judges if judges is not None else self.settings.judges)
        ]
        self._search = search if search is not None else self.settings.search
        self._memory = memory if memory is not None else self.settings.memory
        self.on_event = on_event
        self.today = today
        self.store = RunStore(self.settings.runs_dir)
        self._pool = bk.BackendPool(self.settings)
        self._entered = False
        self._in_flight = 0

    async def __aenter__(self) -> Agent:
        self._entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._entered = False
        await self.aclose()

    async def aclose(self) -> None:
        """Close every backend this agent built from an id (clients, files, connections)."""
        await self._pool.aclose()

    # -- public API -----------------------------------------------------------------

    async def run(self, request: Request | str, **fields: Any) -> Result:
        """Run a request to the end; the Result is also saved under the runs folder."""
        result = self._new_result(request, fields)
        return await self._execute(result, STEPS, save=True)

    async def plan(self, request: Request | str, **fields: Any) -> Result:
        """Plan, ground and compose only: what the agent would tell the renderer. Not saved."""
        result = self._new_result(request, fields)
        return await self._execute(result, PLAN_STEPS, save=False)

    async def resume(self, run_id: str) -> Result:
        """Carry on a saved run from its first step not done, with the backends it used."""
        result = self.store.load(run_id)
        if result.status in (RunStatus.DONE, RunStatus.ASKED):
            return result
        request = result.request
        same_backends = {
            "renderer": request.renderer or result.renderer or None,
            "llm": request.llm or result.llm or None,
            "judges": request.judges if request.judges is not None else result.judges or None,
        }
        result = result.model_copy(
            update={
                "status": RunStatus.RUNNING,
                "error": None,
                "request": request.model_copy(update=same_backends),
            }
        )
        return await self._execute(result, STEPS, save=True)

    def run_sync(self, request: Request | str, **fields: Any) -> Result:
        """`run` for code without an event loop."""
        return asyncio.run(self.run(request, **fields))

    # -- the state machine ----------------------------------------------------------

    def _new_result(self, request: Request | str, fields: dict[str, Any]) -> Result:
        if isinstance(request, str):
            request = Request(prompt=request, **fields)
        elif fields:
            request = request.model_copy(update=fields)
        now = utcnow()
        return Result(run_id=new_run_id(now), request=request, created_at=now)

    def _backends(self, request: Request, tracer: Tracer) -> bk.Backends:
        pool = self._pool
        llm = pool.llm(request.llm or self._llm)
        judges: list[Judge | str] = (
            [*request.judges] if request.judges is not None else self._judges
        )
        budget = request.options.budget_llm_calls
        return bk.Backends(
            llm=bk.BudgetedLLM(llm, tracer.usage, budget, self.settings) if llm else None,
            renderer=pool.renderer(request.renderer or self._renderer),
            judges=pool.judges(judges),
            search=pool.search(self._search),
            memory=pool.memory(self._memory),
        )

    async def _execute(self, result: Result, steps: tuple[str, ...], *, save: bool) -> Result:
        self._in_flight += 1
        try:
            return await self._execute_steps(result, steps, save=save)
        finally:
            self._in_flight -= 1
            if not self._entered and self._in_flight == 0:
                await self._pool.aclose()

    async def _execute_steps(self, result: Result, steps: tuple[str, ...], *, save: bool) -> Result:
        tracer = Tracer(result.run_id, result.usage, [self.on_event] if self.on_event else None)
        # Bad ids and missing extras fail here, before a run folder exists.
        backends = self._backends(result.request, tracer)
        if save:
            result.run_dir = str(self.store.run_dir(result))
            Path(result.run_dir).mkdir(parents=True, exist_ok=True)
            tracer.sink = Path(result.run_dir) / "trace.jsonl"
        try:
            result.llm = backends.llm.id if backends.llm else bk.NO_LLM
            result.renderer = backends.renderer.id
            result.judges = [judge.id for judge in backends.judges]
            for step in steps:
                if step in result.completed_steps:
                    continue
                await self._step(step, result, backends, tracer)
                if save:
                    self.store.save(result)
                if result.status is RunStatus.ASKED:
                    break
            if result.status is RunStatus.RUNNING:
                result.status = RunStatus.DONE
        except ImagentError as exc:
            result.status, result.error = RunStatus.FAILED, str(exc)
            tracer.emit("run", "error", str(exc))
            if save:
                self.store.save(result)
                raise RunFailedError(result.run_id, exc, result) from exc
            raise
        if save:
            self.store.save(result)
        return result

    async def _step(self, step: str, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        handlers: dict[str, Callable[[Result, bk.Backends, Tracer], Awaitable[None]]] = {
            "load": self._load,
            "plan": self._plan,
            "ground": self._ground,
            "compose": self._compose,
            "render": self._render,
            "remember": self._remember,
        }
        started = time.perf_counter()
        tracer.emit(step, "start")
        await handlers[step](result, backends, tracer)
        result.timings_s[step] = round(time.perf_counter() - started, 4)
        result.completed_steps.append(step)
        tracer.emit(step, "end", data={"seconds": result.timings_s[step]})

    # -- steps --------------------------------------------------------------------------

    async def _load(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        request = result.request
        named = [("reference image", s) for s in request.images]
        for what, source in [*named, *([("mask", request.mask)] if request.mask else [])]:
            image = await check_image(source, self.settings)
            size = f"{image.width}x{image.height}"
            tracer.emit("load", "decision", f"{what} {image.label} ({size})")
        if result.request.images and not backends.renderer.supports_reference_images:
            tracer.emit("load", "warning", f"{backends.renderer.id} does not use reference images")

    async def _plan(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        try:
            result.plan = await make_plan(result.request, backends.llm, tracer, today=self.today)
        except StructuredOutputError as exc:
            tracer.emit("plan", "warning", f"planner answer unusable ({exc}); planning with rules")
            result.plan = await make_plan(result.request, None, tracer, today=self.today)
        result.gaps = list(result.plan.gaps)

    async def _ground(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        ctx = GroundContext(
            request=result.request,
            llm=backends.llm,
            search=backends.search,
            memory=backends.memory,
            tracer=tracer,
            today=self.today or date.today(),
        )
        result.gaps = await ground_gaps(result.gaps, ctx)
        asked = [g for g in result.gaps if g.status is GapStatus.ASKED]
        if asked:
            result.questions = [g.question for g in asked]
            result.status = RunStatus.ASKED

    async def _compose(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        assert result.plan is not None
        seed = result.request.seed if result.request.seed is not None else secrets.randbelow(2**31)
        spec = compose_spec(
            result.request, result.plan, result.gaps, backends.renderer, seed=seed, tracer=tracer
        )
        result.spec = spec
        result.final_prompt = spec.prompt
        result.checklist = build_checklist(result.request, result.plan, spec)

    async def _render(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        checkpoint = self.store.save if result.run_dir else None
        await render_rounds(result, backends, tracer, self.settings, checkpoint)

    async def _remember(self, result: Result, backends: bk.Backends, tracer: Tracer) -> None:
        if backends.memory is None:
            return
        request = result.request
        common = {
            "user_id": request.user_id,
            "session_id": request.session_id,
            "run_id": result.run_id,
        }
        await backends.memory.remember(MemoryEntry(content=request.prompt, **common))
        await backends.memory.remember(
            MemoryEntry(role="agent", kind="choice", content=result.final_prompt, **common)
        )
