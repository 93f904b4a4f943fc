"""COMPOSE for a task graph: one task per image the plan asks for, each with its own spec
and checklist; several tasks also get a page that assembles them.

A request for one image is a graph of one task, composed exactly as before. A plan with
tasks (the panels of a comic, a set of banners) gives each task its own beat and text, the
shared consistency block, and a seed by the plan's seed policy.
"""

from __future__ import annotations

from imagent.agent.checklist import build_checklist, page_checklist, task_checklist
from imagent.agent.compose import TaskPart, compose_spec
from imagent.agent.trace import Tracer
from imagent.backends.renderer.base import Renderer
from imagent.core.types import ContextPlan, Gap, PlannedTask, Request, Task

SEED_STRIDE = 1009  # distinct seeds per task, when the plan asks for distinct ones


def build_tasks(
    request: Request,
    plan: ContextPlan,
    gaps: list[Gap],
    renderer: Renderer,
    seed: int,
    tracer: Tracer,
) -> list[Task]:
    """The tasks of the run, composed and with their checklists."""
    if not plan.tasks:
        spec = compose_spec(request, plan, gaps, renderer, seed=seed, tracer=tracer)
        checklist = build_checklist(request, plan, spec)
        return [
            Task(
                id="t1", brief=spec.brief, spec=spec, checklist=checklist, final_prompt=spec.prompt
            )
        ]
    planned = checked_tasks(plan.tasks, tracer)
    return [
        _task(request, plan, gaps, renderer, one, index, len(planned), seed, tracer)
        for index, one in enumerate(planned)
    ]


def checked_tasks(planned: list[PlannedTask], tracer: Tracer) -> list[PlannedTask]:
    """Unique ids, and dependencies only on earlier tasks (so the graph has no cycle);
    anything else a planner wrote is dropped, with a trace decision."""
    checked: list[PlannedTask] = []
    for index, task in enumerate(planned):
        task_id = task.id.strip() or f"t{index + 1}"
        if any(t.id == task_id for t in checked):
            task_id = f"t{index + 1}"
        earlier = {t.id for t in checked}
        kept = [d for d in task.depends_on if d in earlier]
        if len(kept) != len(task.depends_on):
            dropped = sorted(set(task.depends_on) - set(kept))
            tracer.decision("compose", f"{task_id}: dropped dependencies {dropped}", by="agent")
        checked.append(task.model_copy(update={"id": task_id, "depends_on": kept}))
    return checked


def _task(
    request: Request,
    plan: ContextPlan,
    gaps: list[Gap],
    renderer: Renderer,
    planned: PlannedTask,
    index: int,
    total: int,
    seed: int,
    tracer: Tracer,
) -> Task:
    title = planned.title or f"{planned.role.capitalize()} {index + 1} of {total}"
    part = TaskPart(title=title, beat=planned.brief or title, consistency=plan.consistency)
    task_seed = seed if plan.seed_policy == "shared" else (seed + SEED_STRIDE * index) % 2**31
    spec = compose_spec(
        request, plan, gaps, renderer, seed=task_seed, tracer=tracer, task=planned, part=part
    )
    return Task(
        id=planned.id,
        title=title,
        role=planned.role if planned.role != "image" else "panel",
        brief=planned.brief,
        depends_on=list(planned.depends_on),
        spec=spec,
        checklist=task_checklist(planned, plan, spec),
        final_prompt=spec.prompt,
    )


def page_task(request: Request, plan: ContextPlan, tasks: list[Task]) -> Task:
    """The page that assembles several tasks, judged on the request's own items."""
    return Task(
        id="page",
        title="Page",
        role="page",
        brief=plan.intent,
        depends_on=[task.id for task in tasks],
        checklist=page_checklist(request, plan),
        final_prompt="\n".join(task.final_prompt for task in tasks),
    )
