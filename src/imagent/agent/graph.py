"""RENDER for a task graph: every task whose dependencies are done renders at once, up to
the renderer's concurrency; a task that depends on another gets that task's image as a
reference when the renderer takes references. Finished tasks are skipped on resume.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from imagent.agent.page import assemble_page
from imagent.agent.rounds import render_rounds
from imagent.core.events import TaskChanged
from imagent.core.types import Task, TaskStatus

if TYPE_CHECKING:
    from imagent.agent.steps import RunContext


async def render_graph(ctx: RunContext) -> None:
    """Render every task of the run, then assemble the page of a multi-task run.

    A task that fails does not stop the others already under way (their renders are paid
    for); tasks that depend on it are left pending. The first failure is then raised, and
    a resume renders only the tasks not done.
    """
    tasks = {task.id: task for task in ctx.result.tasks}
    finished = {task_id: asyncio.Event() for task_id in tasks}
    slots = asyncio.Semaphore(max(1, ctx.backends.renderer.max_concurrency))

    async def run(task: Task) -> None:
        try:
            for dependency in task.depends_on:
                await finished[dependency].wait()
            if any(tasks[d].status is not TaskStatus.DONE for d in task.depends_on):
                return  # a dependency failed: this task waits for a resume
            if task.status is not TaskStatus.DONE:
                _use_references(ctx, task, tasks)
                async with slots:
                    await _render_task(ctx, task)
        finally:
            finished[task.id].set()

    outcomes = await asyncio.gather(*(run(t) for t in tasks.values()), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        raise failures[0]
    result = ctx.result
    result.final_prompt = "\n".join(task.final_prompt for task in result.tasks)
    await assemble_page(ctx)
    if result.page is None and result.tasks:
        result.final_image = result.tasks[0].final_image


async def _render_task(ctx: RunContext, task: Task) -> None:
    tracer = ctx.tracer
    task.status, task.error = TaskStatus.RUNNING, None
    tracer.emit("render", TaskChanged(status=task.status), task.title or task.id, task_id=task.id)
    try:
        await render_rounds(ctx, task)
    except asyncio.CancelledError:
        task.status = TaskStatus.PENDING  # stopped, not failed: a resume renders it again
        raise
    except BaseException as exc:
        task.status, task.error = TaskStatus.FAILED, str(exc) or type(exc).__name__
        tracer.emit("render", TaskChanged(status=task.status), task.error, task_id=task.id)
        raise
    task.status = TaskStatus.DONE
    tracer.emit("render", TaskChanged(status=task.status), task.title or task.id, task_id=task.id)
    ctx.checkpoint()


def _use_references(ctx: RunContext, task: Task, tasks: dict[str, Task]) -> None:
    renderer = ctx.backends.renderer
    if task.spec is None or not renderer.supports_reference_images:
        return
    made = [tasks[d].final_image for d in task.depends_on if tasks[d].final_image]
    new = [path for path in made if path and path not in task.spec.reference_images]
    if new:
        task.spec.reference_images = [*task.spec.reference_images, *new]
        ctx.tracer.decision("render", f"{task.id} uses {', '.join(new)} as references", by="agent")
