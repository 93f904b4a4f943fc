"""`comfyui/<workflow.json>`: render with your own ComfyUI workflow (exported in API format).

For each seed: reference images are uploaded (`POST /upload/image`), the workflow's slots
are filled (see `comfyui_workflow`), the prompt is queued (`POST /prompt`, with a
`prompt_id` chosen here so a submit whose answer is lost can still be found), `GET
/history/{id}` is polled until it finishes, and the output images come from `GET /view`.

The workflow path is taken as given, else under `<home>/workflows/`. Options
(`[providers.comfyui.options]`): slot overrides (`prompt`, `negative`, `seed`, `width`,
`height`, `images`), `poll_wait_s` (0.25, doubling to 2 s), `job_timeout_s` (600).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx2

from imagent.backends.images import LoadedImage, decode_image
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.comfyui_workflow import Workflow
from imagent.backends.renderer.hosted import HostedRenderer
from imagent.backends.renderer.polling import poll_until
from imagent.core.errors import BackendError, BadImageError, ConfigError, OutcomeUnknownError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings


class ComfyUIRenderer(HostedRenderer):
    """A text-to-image workflow: prompt, negative prompt, seed and size slots."""

    provider = "comfyui"
    default_base_url = "http://127.0.0.1:8188"
    key_env = "COMFYUI_API_KEY"  # only for a ComfyUI behind a proxy that wants a bearer token
    key_required = False
    supports_negative_prompt = True
    size_multiple = 8  # latent diffusion works in 8-pixel cells
    max_side = 4096

    def __init__(
        self,
        model: str,
        settings: Settings | None = None,
        *,
        workflow: Workflow | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(model, settings, **kw)
        self.workflow = workflow or Workflow.load(
            workflow_path(model, self.settings), self.config.options
        )
        self.client_id = uuid.uuid4().hex

    @classmethod
    def from_id(cls, model: str, settings: Settings) -> ComfyUIRenderer:
        """A workflow with `LoadImage` nodes (or `imagent:image` slots) also takes images."""
        options = settings.provider(cls.provider).options
        workflow = Workflow.load(workflow_path(model, settings), options)
        family = ComfyUIImageRenderer if workflow.image_slots else cls
        return family(model, settings, workflow=workflow)

    def classify_error(self, response: httpx2.Response, error: BackendError) -> BackendError:
        """ComfyUI's validation answer names the nodes that failed: say which and why."""
        try:
            body = response.json()
        except ValueError:
            return error
        problems = [
            f"node {node_id} ({node.get('class_type')}): "
            + "; ".join(
                f"{e.get('message')} {e.get('details', '')}".strip()
                for e in node.get("errors") or []
            )
            for node_id, node in (
                (body.get("node_errors") or {}) if isinstance(body, dict) else {}
            ).items()
            if isinstance(node, dict)
        ]
        if not problems:
            return error
        return BackendError(
            self.id,
            f"the workflow was refused: {error.message}: {' | '.join(problems)}",
            status=error.status,
            code=error.code,
        )

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        images = await self.input_images(spec)
        if images and len(images) > len(self.workflow.image_slots):
            raise ConfigError(
                f"{self.id} has {len(self.workflow.image_slots)} image slot(s); "
                f"{len(images)} images were given"
            )
        names = [await self._upload(image, k) for k, image in enumerate(images)]
        return await self.each_seed(spec, lambda seed: self._render_one(spec, seed, names))

    async def _render_one(
        self, spec: GenerationSpec, seed: int, images: list[str]
    ) -> RenderedImage:
        values = {
            "prompt": spec.prompt,
            "negative": spec.negative_prompt or None,  # none: the workflow's own stays
            "seed": seed,
            "width": spec.size.width,
            "height": spec.size.height,
        }
        graph = self.workflow.filled(values, images)
        prompt_id = await self._queue(graph)
        entry = await self._finished(prompt_id)
        image = await self._first_output(entry, prompt_id)
        seed_used = seed if "seed" in self.workflow.slots else None
        return RenderedImage(image, seed_used, None, prompt_id, self.price_per_image())

    async def _upload(self, image: LoadedImage, k: int) -> str:
        data, mime = image.encoded(("PNG", "JPEG", "WEBP"))
        name = f"imagent_{uuid.uuid4().hex[:12]}_{k}.{mime.split('/')[1]}"
        response = await self.http.request(
            "POST",
            "/upload/image",
            files={"image": (name, data, mime)},
            data={"type": "input", "overwrite": "true"},
        )
        body = self.body(response)
        folder = body.get("subfolder") or ""
        return f"{folder}/{body['name']}" if folder else str(body["name"])

    async def _queue(self, graph: dict[str, Any]) -> str:
        """Queue the graph; if the answer is lost, look for the job by the id we chose."""
        prompt_id = str(uuid.uuid4())
        payload = {"prompt": graph, "client_id": self.client_id, "prompt_id": prompt_id}
        try:
            response = await self.http.request("POST", "/prompt", json=payload, paid=True)
        except OutcomeUnknownError:
            return prompt_id  # polled below; a server too old to take our id times out there
        return str(self.body(response).get("prompt_id") or prompt_id)

    async def _finished(self, prompt_id: str) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            body = self.body(await self.http.request("GET", f"/history/{prompt_id}"))
            entry = body.get(prompt_id)
            if not isinstance(entry, dict):
                return None
            status = entry.get("status") or {}
            if status.get("status_str") == "error":
                raise BackendError(
                    self.id,
                    f"the workflow failed: {_execution_error(status)}",
                    request_id=prompt_id,
                )
            return entry if status.get("completed", True) else None

        return await poll_until(
            check,
            backend_id=self.id,
            job_id=prompt_id,
            first_wait_s=self.option("poll_wait_s", 0.25),
            max_wait_s=2.0,
            limit_s=self.option("job_timeout_s", 600.0),
        )

    async def _first_output(self, entry: dict[str, Any], prompt_id: str) -> Any:
        files = [
            image
            for output in (entry.get("outputs") or {}).values()
            for image in (output.get("images") or [])
            if isinstance(image, dict) and image.get("filename")
        ]
        files.sort(key=lambda f: f.get("type") != "output")  # saved images before previews
        if not files:
            raise BackendError(
                self.id,
                "the workflow finished without an image output (add a SaveImage node)",
                request_id=prompt_id,
            )
        first = files[0]
        params = {k: first.get(k, "") for k in ("filename", "subfolder", "type")}
        response = await self.http.request("GET", "/view", params=params)
        try:
            loaded = await asyncio.to_thread(
                decode_image, response.content, f"{first['filename']} from {self.id}"
            )
        except BadImageError as exc:
            raise BackendError(self.id, str(exc)) from exc
        return await asyncio.to_thread(loaded.to_pil)


def workflow_path(model: str, settings: Settings) -> Path:
    """The workflow file: `model` as a path, else under `<home>/workflows/`."""
    if not model:
        raise ConfigError("comfyui needs a workflow: comfyui/<path to an API-format workflow.json>")
    for path in (Path(model).expanduser(), settings.home / "workflows" / model):
        if path.is_file():
            return path
    raise ConfigError(
        f"ComfyUI workflow {model!r} not found (looked at it as a path and under "
        f"{settings.home / 'workflows'})"
    )


class ComfyUIImageRenderer(ComfyUIRenderer):
    """A workflow with image slots (`LoadImage` nodes): reference and edit images go there."""

    supports_edit = True
    supports_reference_images = True
    max_reference_images = 8


def _execution_error(status: dict[str, Any]) -> str:
    for event, data in status.get("messages") or []:
        if event == "execution_error" and isinstance(data, dict):
            node = f"node {data.get('node_id')} ({data.get('node_type')})"
            return f"{node}: {data.get('exception_type', '')} {data.get('exception_message', '')}".strip()
    return "no reason given"
