"""comfyui/<workflow.json> against the local fake of ComfyUI's HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagent import registry
from imagent.backends.renderer.comfyui import ComfyUIImageRenderer, ComfyUIRenderer
from imagent.core.errors import BackendError, ConfigError
from imagent.core.types import GenerationSpec, Size
from imagent.settings import ProviderSettings, Settings
from tests.fakes.comfyui import FakeComfyUI, img2img_workflow, txt2img_workflow


def write(path: Path, graph: dict[str, Any]) -> str:
    path.write_text(json.dumps(graph))
    return str(path)


def renderer(tmp_path: Path, base: str, workflow: str, **options: Any) -> ComfyUIRenderer:
    section = ProviderSettings(base_url=base, timeout_s=5, options={"poll_wait_s": 0.01, **options})
    settings = Settings(home=tmp_path, retry_wait_s=0, providers={"comfyui": section})
    return registry.resolve("renderer", f"comfyui/{workflow}", settings)  # type: ignore[return-value]


def spec(r: ComfyUIRenderer, seeds: list[int] | None = None, **fields: Any) -> GenerationSpec:
    return GenerationSpec(
        brief="a cabin",
        prompt="A log cabin in a pine forest under snow",
        negative_prompt="blurry, watermark",
        size=r.fit_size(Size(width=640, height=480)),
        seeds=seeds or [5],
        **fields,
    )


async def test_slots_are_found_in_the_graph_and_filled_per_seed(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    r = renderer(tmp_path, comfyui.base, write(tmp_path / "t2i.json", txt2img_workflow()))
    rendered = await r.render(spec(r, seeds=[5, 6]))
    await r.aclose()
    assert [one.seed for one in rendered] == [5, 6]
    assert rendered[0].image.size == (640, 480)
    graphs = sorted((q["prompt"] for q in comfyui.queued), key=lambda g: g["3"]["inputs"]["seed"])
    first = graphs[0]
    assert first["6"]["inputs"]["text"] == spec(r).prompt
    assert first["7"]["inputs"]["text"] == "blurry, watermark"
    assert (first["5"]["inputs"]["width"], first["5"]["inputs"]["height"]) == (640, 480)
    assert {q["prompt_id"] for q in comfyui.queued} == {one.request_id for one in rendered}
    assert rendered[0].image.tobytes() != rendered[1].image.tobytes()


async def test_titled_nodes_and_options_choose_the_slots(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    graph = txt2img_workflow()
    graph["7"]["_meta"]["title"] = "imagent:prompt"  # the user marked node 7 as the prompt
    r = renderer(tmp_path, comfyui.base, write(tmp_path / "titled.json", graph))
    await r.render(spec(r))
    await r.aclose()
    assert comfyui.queued[-1]["prompt"]["7"]["inputs"]["text"] == spec(r).prompt
    r = renderer(tmp_path, comfyui.base, str(tmp_path / "titled.json"), prompt="6.text")
    await r.render(spec(r))
    await r.aclose()
    assert comfyui.queued[-1]["prompt"]["6"]["inputs"]["text"] == spec(r).prompt
    await r.render(spec(r).model_copy(update={"negative_prompt": ""}))
    await r.aclose()
    assert comfyui.queued[-1]["prompt"]["7"]["inputs"]["text"] == "text, watermark"


async def test_reference_images_are_uploaded_into_load_image_nodes(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    source = tmp_path / "green.png"
    Image.new("RGB", (64, 64), (10, 230, 10)).save(source)
    r = renderer(tmp_path, comfyui.base, write(tmp_path / "i2i.json", img2img_workflow()))
    assert isinstance(r, ComfyUIImageRenderer) and r.supports_reference_images
    [one] = await r.render(spec(r, reference_images=[str(source)]))
    await r.aclose()
    [uploaded] = comfyui.inputs
    assert comfyui.queued[0]["prompt"]["10"]["inputs"]["image"] == uploaded
    red, green, _ = one.image.getpixel((0, 0))  # type: ignore[misc]
    assert green > 200 and red < 60  # the fake tints its output with the loaded image


async def test_a_refused_workflow_names_the_node_and_why(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    graph = txt2img_workflow()
    graph["4"]["class_type"] = "CheckpointLoaderFancy"
    r = renderer(tmp_path, comfyui.base, write(tmp_path / "bad.json", graph))
    with pytest.raises(BackendError, match=r"node 4 \(CheckpointLoaderFancy\): Node class"):
        await r.render(spec(r))
    await r.aclose()


async def test_an_execution_error_is_reported_with_its_node(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    comfyui.fail_next = True
    r = renderer(tmp_path, comfyui.base, write(tmp_path / "t2i.json", txt2img_workflow()))
    with pytest.raises(BackendError, match=r"node 3 \(KSampler\): torch.OutOfMemoryError"):
        await r.render(spec(r))
    await r.aclose()


async def test_a_lost_answer_to_prompt_is_found_in_history_not_queued_twice(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    comfyui.prompt_delay_s = 1.0
    section = ProviderSettings(base_url=comfyui.base, timeout_s=0.2, options={"poll_wait_s": 0.05})
    settings = Settings(home=tmp_path, retry_wait_s=0, providers={"comfyui": section})
    path = write(tmp_path / "t2i.json", txt2img_workflow())
    r = registry.resolve("renderer", f"comfyui/{path}", settings)
    [one] = await r.render(spec(r))  # type: ignore[arg-type]
    await r.aclose()
    assert len(comfyui.queued) == 1 and one.request_id == comfyui.queued[0]["prompt_id"]


def test_workflows_that_cannot_work_are_refused_clearly(
    tmp_path: Path, comfyui: FakeComfyUI
) -> None:
    ui_format = write(tmp_path / "ui.json", {"nodes": [], "links": [], "version": 0.4})
    with pytest.raises(ConfigError, match="Export \\(API\\)"):
        renderer(tmp_path, comfyui.base, ui_format)
    with pytest.raises(ConfigError, match="not found"):
        renderer(tmp_path, comfyui.base, "missing.json")
    no_prompt = {"1": {"class_type": "SaveImage", "inputs": {}}}
    with pytest.raises(ConfigError, match="imagent:prompt"):
        renderer(tmp_path, comfyui.base, write(tmp_path / "np.json", no_prompt))
    with pytest.raises(ConfigError, match="node id"):
        renderer(
            tmp_path, comfyui.base, write(tmp_path / "t.json", txt2img_workflow()), seed="99.x"
        )


def test_workflows_are_found_under_the_home_folder(tmp_path: Path, comfyui: FakeComfyUI) -> None:
    (tmp_path / "workflows").mkdir()
    write(tmp_path / "workflows" / "mine.json", txt2img_workflow())
    r = renderer(tmp_path, comfyui.base, "mine.json")
    assert r.workflow.slots["seed"] == ("3", "seed")
    assert r.fit_size(Size(width=1000, height=750)) == Size(width=1000, height=752)
