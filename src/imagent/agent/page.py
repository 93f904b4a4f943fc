"""The page of a multi-image run: every task's final image in one grid, in task order.

A 4-panel comic reads as one page; a set of banners becomes a contact sheet. The page is
judged on the request's own checklist (the whole work), beside each task's own items.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from imagent.agent.judging import judge_candidate
from imagent.core.types import Candidate, GenerationSpec, Size, Task, TaskStatus
from imagent.runs.png import save_png

if TYPE_CHECKING:
    from imagent.agent.steps import RunContext

MAX_PAGE_SIDE = 2048
GUTTER_SHARE = 0.02  # of the page's shorter side
PAPER = (250, 249, 246)


def grid(count: int, cell_w: int, cell_h: int) -> tuple[int, int]:
    """Rows and columns for `count` cells of one aspect: the squarest page."""
    if count <= 3:
        return (1, count) if cell_w <= 1.4 * cell_h else (count, 1)
    return min(
        ((math.ceil(count / cols), cols) for cols in range(1, count + 1)),
        key=lambda rc: (abs(math.log((rc[1] * cell_w) / (rc[0] * cell_h))), rc[0] * rc[1]),
    )


def assemble(images: list[Image.Image]) -> Image.Image:
    """The images in reading order on one page, each scaled to the first one's cell."""
    cell_w, cell_h = images[0].size
    rows, cols = grid(len(images), cell_w, cell_h)
    gutter = max(4, round(min(cell_w, cell_h) * GUTTER_SHARE * 2))
    width, height = cols * cell_w + (cols + 1) * gutter, rows * cell_h + (rows + 1) * gutter
    scale = min(1.0, MAX_PAGE_SIDE / max(width, height))
    page = Image.new("RGB", (width, height), PAPER)
    for index, image in enumerate(images):
        row, col = divmod(index, cols)
        fitted = image.convert("RGB").resize((cell_w, cell_h), Image.Resampling.LANCZOS)
        page.paste(fitted, (gutter + col * (cell_w + gutter), gutter + row * (cell_h + gutter)))
    if scale < 1:
        size = (round(width * scale), round(height * scale))
        page = page.resize(size, Image.Resampling.LANCZOS)
    return page


async def assemble_page(ctx: RunContext) -> None:
    """Assemble, save and judge the page of a run with several tasks."""
    result = ctx.result
    page = result.page
    if page is None or page.status is TaskStatus.DONE or not result.run_dir:
        return
    paths = [task.final_image for task in result.tasks if task.final_image]
    images = [await asyncio.to_thread(_open, path) for path in paths]
    if not images:
        return
    image = assemble(images)
    path = Path(result.run_dir) / "final.png"
    spec = _page_spec(result.tasks, image)
    record = {"run_id": result.run_id, "task_id": "page", "prompt": spec.prompt}
    record |= {"renderer": result.renderer, "planner": result.llm, "size": str(spec.size)}
    await asyncio.to_thread(save_png, image, path, record, private=ctx.settings.private_outputs)
    candidate = Candidate(index=0, round=0, seed=None, path=str(path))
    page.best = await judge_candidate(
        candidate, image, page.checklist, spec, ctx.backends.judges, ctx.tracer, page.id
    )
    page.final_image = result.final_image = str(path)
    page.status = TaskStatus.DONE


def _open(path: str) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def _page_spec(tasks: list[Task], image: Image.Image) -> GenerationSpec:
    """What the page as a whole was asked to be: every task's prompt and text."""
    specs = [task.spec for task in tasks if task.spec is not None]
    return GenerationSpec(
        brief=specs[0].brief if specs else "",
        prompt="\n".join(task.final_prompt for task in tasks),
        text=[block for spec in specs for block in spec.text],
        size=Size(width=max(64, image.width), height=max(64, image.height)),
        seeds=[],
    )
