"""The agent: a plain async state machine over a `Result`.

Steps run in order — load, plan, ground, compose, render (the task graph: render → judge →
repair rounds per task, see `graph` and `rounds`), remember — and the Result is saved after
each, so a run that stops half-way keeps what it did and `resume` carries on from the first
step (and task) not done. Any exception or interruption saves the run as failed or
interrupted, never left `running`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Any

from imagent.agent import backends as bk
from imagent.agent.steps import STEP_HANDLERS, RunContext
from imagent.agent.trace import EventCallback, Tracer, last_seq
from imagent.backends.judge.base import Judge
from imagent.backends.llm.base import LLM
from imagent.backends.metering import metered
from imagent.backends.renderer.base import Renderer
from imagent.backends.retry import run_deadline
from imagent.backends.search.base import Search
from imagent.core.errors import ImagentError, RunFailedError
from imagent.core.events import Finished
from imagent.core.types import Request, Result, RunStatus, utcnow
from imagent.memory.base import Memory
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
        result.error = None
        request = result.request
        same_backends = {
            "renderer": request.renderer or self._unless_mine(result.renderer, self._renderer),
            "llm": request.llm or self._unless_mine(result.llm, self._llm),
            "judges": request.judges if request.judges is not None else self._same_judges(result),
        }
        result = result.model_copy(
            update={
                "status": RunStatus.RUNNING,
                "error": None,
                "request": request.model_copy(update=same_backends),
            }
        )
        return await self._execute(result, STEPS, save=True)

    @staticmethod
    def _unless_mine(recorded: str, mine: object) -> str | None:
        """The id a run recorded, unless this agent's own backend has that id already."""
        if not recorded:
            return None
        mine_id = mine if isinstance(mine, str) else getattr(mine, "id", None)
        return None if mine_id == recorded else recorded

    def _same_judges(self, result: Result) -> list[str] | None:
        mine = [j if isinstance(j, str) else j.id for j in self._judges]
        return None if not result.judges or mine == result.judges else result.judges

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
        # Bad ids and missing extras fail here, before a run folder exists.
        start_seq = 0
        if save and result.run_dir:
            start_seq = last_seq(Path(result.run_dir) / "trace.jsonl") + 1
        callbacks = [self.on_event] if self.on_event else None
        tracer = Tracer(result.run_id, result.usage, callbacks, start_seq=start_seq)
        backends = self._backends(result.request, tracer)
        ctx = RunContext(
            result=result,
            backends=backends,
            tracer=tracer,
            settings=self.settings,
            today=self.today or date.today(),
            store=self.store if save else None,
        )
        if save:
            result.run_dir = str(
                self.store.run_dir(result) if not result.run_dir else result.run_dir
            )
            Path(result.run_dir).mkdir(parents=True, exist_ok=True)
            tracer.write_to(Path(result.run_dir) / "trace.jsonl")
        try:
            # Backends see the run's deadline (their retries stop at it) and report the
            # model calls they make on their own (a VLM judge) to this run's usage.
            with run_deadline(result.request.options.deadline_s), metered(tracer.model_call):
                await self._steps(ctx, steps)
        except BaseException as exc:
            await self._stopped(ctx, exc)
            if save and isinstance(exc, Exception):
                raise RunFailedError(result.run_id, exc, result) from exc
            raise  # an interruption, or a plan that was never saved
        await tracer.aclose()
        return result

    async def _steps(self, ctx: RunContext, steps: tuple[str, ...]) -> None:
        result = ctx.result
        result.llm = ctx.backends.llm.id if ctx.backends.llm else bk.NO_LLM
        result.renderer = ctx.backends.renderer.id
        result.judges = [judge.id for judge in ctx.backends.judges]
        for step in steps:
            if step in result.completed_steps:
                continue
            await self._step(step, ctx)
            ctx.checkpoint()
            if result.status is RunStatus.ASKED:
                break
        if result.status is RunStatus.RUNNING:
            result.status = RunStatus.DONE
        ctx.tracer.emit(
            "run",
            Finished(status=result.status, verdict=result.verdict_count.outcome),
            f"{result.status}",
        )
        ctx.checkpoint()

    async def _stopped(self, ctx: RunContext, exc: BaseException) -> None:
        """Record why the run stopped; it is saved as failed or interrupted, never running."""
        result = ctx.result
        interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
        result.status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
        result.error = "interrupted" if interrupted else (str(exc) or type(exc).__name__)
        if not isinstance(exc, ImagentError) and not interrupted:
            result.error = f"{type(exc).__name__}: {result.error}"
        ctx.tracer.error("run", exc)
        ctx.tracer.emit("run", Finished(status=result.status), result.error)
        ctx.checkpoint()
        await ctx.tracer.aclose()

    async def _step(self, step: str, ctx: RunContext) -> None:
        started = time.perf_counter()
        ctx.tracer.start(step)
        await STEP_HANDLERS[step](ctx)
        seconds = round(time.perf_counter() - started, 4)
        ctx.result.timings_s[step] = seconds
        ctx.result.completed_steps.append(step)
        ctx.tracer.end(step, seconds)
