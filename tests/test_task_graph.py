"""A run is a task graph: panels render concurrently, share a consistency block, and are
assembled into a page; finished tasks are not redone on resume."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image

from imagent.agent import steps
from imagent.agent.agent import Agent
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.fake import FakeRenderer
from imagent.core.errors import BackendError, RunFailedError
from imagent.core.types import (
    ContextPlan,
    GenerationSpec,
    PlannedTask,
    Request,
    RunStatus,
    TaskStatus,
    TextBlock,
)
from imagent.runs.png import read_png_record
from imagent.settings import Settings

from .conftest import TODAY

COMIC = "a 4-panel comic about a cat who loses its toy and finds it"
CAT = "an orange tabby cat with a green collar, flat pastel colours"
BEATS = [
    "the cat plays with a red ball",
    "the ball rolls under the sofa",
    "the cat searches everywhere",
    "the cat finds the ball and naps on it",
]


def comic_plan(depends: dict[str, list[str]] | None = None) -> ContextPlan:
    depends = depends or {}
    return ContextPlan(
        intent=COMIC,
        subject="a 4-panel comic",
        tasks=[
            PlannedTask(
                id=f"p{i}",
                brief=beat,
                text=[TextBlock(text=f"{i}", role="label")],
                depends_on=depends.get(f"p{i}", []),
            )
            for i, beat in enumerate(BEATS, start=1)
        ],
        consistency=CAT,
    )


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[ContextPlan]:
    plans = [comic_plan()]

    async def fake_plan(request: Request, llm: Any, tracer: Any, **kw: Any) -> ContextPlan:
        return plans[0]

    monkeypatch.setattr(steps, "make_plan", fake_plan)
    return plans


class SlowRenderer(FakeRenderer):
    """Takes a while per render and records how many renders overlap."""

    supports_reference_images: ClassVar[bool] = True

    def __init__(self, delay: float = 0.2, **kw: Any) -> None:
        super().__init__(**kw)
        self.delay, self.active, self.peak = delay, 0, 0

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(self.delay)
            return await super().render(spec)
        finally:
            self.active -= 1


def agent(settings: Settings, renderer: FakeRenderer) -> Agent:
    return Agent(
        settings, llm="none", renderer=renderer, judges=["instruction"], memory="none", today=TODAY
    )


async def test_panels_render_concurrently_with_one_shared_look_and_a_page(
    settings: Settings, planned: list[ContextPlan]
) -> None:
    renderer = SlowRenderer()
    result = await agent(settings, renderer).run(COMIC, seed=9)
    assert result.status is RunStatus.DONE
    assert [t.id for t in result.tasks] == ["p1", "p2", "p3", "p4"]
    assert renderer.peak == 4  # independent panels overlap
    for task, beat in zip(result.tasks, BEATS, strict=True):
        assert task.status is TaskStatus.DONE and task.final_image
        assert beat in task.final_prompt and CAT in task.final_prompt
        assert task.spec is not None and task.spec.seeds == [9]  # shared seed policy
    assert result.final_prompt == "\n".join(t.final_prompt for t in result.tasks)
    page = result.page
    assert page is not None and result.final_image == page.final_image
    final = Path(result.final_image or "")
    assert final == Path(result.run_dir or "") / "final.png"
    with Image.open(final) as image:
        assert image.width > 320 and image.height > 320  # 2x2 panels of 1024 px, scaled
    assert read_png_record(final)["task_id"] == "page"
    panel_png = Path(result.run_dir or "") / "tasks" / "p2" / "round_00" / "candidate_0.png"
    assert read_png_record(panel_png)["task_id"] == "p2"


async def test_consistency_is_a_checklist_item_of_every_panel(
    settings: Settings, planned: list[ContextPlan]
) -> None:
    result = await agent(settings, SlowRenderer(delay=0)).run(COMIC, seed=1)
    items = {item.id for item in result.checklist}
    assert {f"p{i}.consistency" for i in range(1, 5)} <= items
    assert {f"p{i}.beat" for i in range(1, 5)} <= items
    verdicts = {v.item_id: v.passed for v in result.verdicts}
    assert all(verdicts[f"p{i}.consistency"] is True for i in range(1, 5))  # prompt carries it
    assert verdicts["p1.beat"] is None  # only an image judge can say; unverified, not passed
    assert not result.passed


async def test_a_dependent_task_gets_its_dependency_as_a_reference(
    settings: Settings, planned: list[ContextPlan]
) -> None:
    planned[0] = comic_plan({"p2": ["p1"], "p3": ["p1"], "p4": ["p1", "nope"]})
    renderer = SlowRenderer(delay=0.05)
    result = await agent(settings, renderer).run(COMIC, seed=1)
    p1 = result.tasks[0].final_image
    for task in result.tasks[1:]:
        assert task.spec is not None and task.spec.reference_images == [p1]
    assert result.tasks[3].depends_on == ["p1"]  # an unknown dependency is dropped
    assert renderer.peak == 3  # p2..p4 wait for p1, then run together


async def test_resume_renders_only_the_tasks_not_done(
    settings: Settings, planned: list[ContextPlan]
) -> None:
    class FailsOnPanelThree(SlowRenderer):
        async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
            if BEATS[2] in spec.prompt:
                raise BackendError(self.id, "provider down")
            return await super().render(spec)

    with pytest.raises(RunFailedError) as failed:
        await agent(settings, FailsOnPanelThree(delay=0)).run(COMIC, seed=1)
    saved = agent(settings, FakeRenderer()).store.load(failed.value.run_id)
    assert saved.status is RunStatus.FAILED and "provider down" in (saved.error or "")
    statuses = {t.id: t.status for t in saved.tasks}
    assert statuses["p3"] is TaskStatus.FAILED
    renderer = SlowRenderer(delay=0)
    resumed = await agent(settings, renderer).resume(saved.run_id)
    assert resumed.status is RunStatus.DONE
    done_before = [t for t, s in statuses.items() if s is TaskStatus.DONE]
    rendered_again = {spec.prompt.splitlines()[0] for spec in renderer.specs}
    assert len(renderer.specs) == 4 - len(done_before)
    assert not any(BEATS[int(t[1]) - 1] in line for t in done_before for line in rendered_again)


async def test_a_single_image_run_keeps_its_familiar_folder(settings: Settings) -> None:
    result = await agent(settings, FakeRenderer()).run("a red bicycle", seed=1)
    run_dir = Path(result.run_dir or "")
    assert len(result.tasks) == 1 and result.page is None
    assert (run_dir / "round_00" / "candidate_0.png").is_file()
    assert result.final_image == str(run_dir / "final.png")
    assert result.spec is result.tasks[0].spec and result.best is result.tasks[0].best
