"""`dashscope/<model>`: Qwen-Image on Alibaba Cloud Model Studio (DashScope).

Text-to-image through the synchronous multimodal-generation endpoint or the asynchronous
task API (submit, then poll `tasks/{id}`); Qwen-Image-Edit and the 2.0 series take one to
three input images as data URLs. One request per seed, so every image's seed is known.
The service's own prompt rewriting (`prompt_extend`) is off: imagent writes the prompt.
Result URLs are signed and expire, so each is downloaded as soon as it is known.

Options (`[providers.dashscope.options]`): `prompt_extend` (false), `watermark` (false),
`api` ("auto": the task API where the model has one; "sync"; "async"), `workspace`,
`poll_wait_s` (1.0, doubling to 5 s), `task_timeout_s` (600).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from imagent.backends.image_fetch import ImageFetchError
from imagent.backends.images import LoadedImage
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.hosted import HostedRenderer
from imagent.backends.renderer.polling import poll_until
from imagent.core.errors import BackendError, ConfigError, ModerationError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings

SYNC_PATH = "/services/aigc/multimodal-generation/generation"
ASYNC_PATH = "/services/aigc/text2image/image-synthesis"
MAX_NEGATIVE_CHARS = 500
MAX_INPUT_SIDE, MAX_INPUT_BYTES = 3072, 10 * 1024 * 1024  # what the edit models take best
ASYNC_MODELS = frozenset({"qwen-image-plus", "qwen-image"})  # the only ones with a task API
FIXED_SIZE_MODELS = ("qwen-image-max", "qwen-image-plus", "qwen-image")
_WAITING = frozenset({"PENDING", "RUNNING", "SUSPENDED"})
_LATER_SERIES = re.compile(r"^qwen-image-\d+(\.\d+)?(-|$)")

# USD per image: the Beijing list prices in CNY (¥0.20 plus and 2.0, ¥0.25 qwen-image,
# ¥0.30 edit, ¥0.50 max and 2.0-pro), converted at 7.1 CNY per USD, read 2026-11.
# Override per model: [providers.dashscope.prices."<model>"] per_image = ...
PRICES = {
    "qwen-image": 0.035,
    "qwen-image-plus": 0.028,
    "qwen-image-max": 0.070,
    "qwen-image-2.0": 0.028,
    "qwen-image-2.0-pro": 0.070,
    "qwen-image-edit": 0.042,
    "qwen-image-edit-plus": 0.028,
    "qwen-image-edit-max": 0.070,
}


class DashScopeRenderer(HostedRenderer):
    """Qwen-Image text-to-image (`qwen-image`, `-plus`, `-max`): five fixed sizes."""

    provider = "dashscope"
    default_base_url = "https://dashscope.aliyuncs.com/api/v1"
    base_url_env = "DASHSCOPE_HTTP_BASE_URL"
    key_env = "DASHSCOPE_API_KEY"
    price_table = PRICES
    known_models = tuple(PRICES)
    max_prompt_chars = 800
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = (
        (1664, 928),
        (1472, 1104),
        (1328, 1328),
        (1104, 1472),
        (928, 1664),
    )
    supports_negative_prompt = True
    max_concurrency = 2  # the default account allows few concurrent image jobs
    sends_size: ClassVar[bool] = True
    sends_prompt_extend: ClassVar[bool] = True

    @classmethod
    def from_id(cls, model: str, settings: Settings) -> DashScopeRenderer:
        """The class for the model's family: edit models, the 2.0-and-later series, or the
        fixed-size text-to-image models."""
        if not model:
            raise ConfigError(
                "dashscope needs a model: dashscope/qwen-image-plus, dashscope/qwen-image-2.0, "
                "dashscope/qwen-image-edit-plus, ..."
            )
        cls.check_model(model)
        if "-edit" in model:
            family: type[DashScopeRenderer] = (
                QwenImageEditBasic
                if model.startswith("qwen-image-edit-20") or model == "qwen-image-edit"
                else QwenImageEdit
            )
        elif _LATER_SERIES.match(model):
            family = QwenImage2
        else:
            family = cls
        return family(model, settings)

    @property
    def api(self) -> str:
        """Which endpoint renders: the task API ("async") where the model has one, unless
        the `api` option says "sync"."""
        choice = self.option("api", "auto")
        if choice not in ("auto", "sync", "async"):
            raise ConfigError(
                f'[providers.dashscope.options] api must be "auto", "sync" or "async", not {choice!r}'
            )
        if choice == "async" and self.model not in ASYNC_MODELS:
            raise ConfigError(
                f"{self.id} has no task API (only {', '.join(sorted(ASYNC_MODELS))} do); "
                'set [providers.dashscope.options] api = "sync" or "auto"'
            )
        if choice == "auto":
            return "async" if self.model in ASYNC_MODELS else "sync"
        return choice

    def auth_headers(self) -> dict[str, str]:
        headers = super().auth_headers()
        if workspace := self.option("workspace", ""):
            headers["X-DashScope-WorkSpace"] = workspace
        return headers

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        images = await self.input_images(spec)
        if self.api == "async" and not images:
            return await self.each_seed(spec, lambda seed: self._render_task(spec, seed))
        return await self.each_seed(spec, lambda seed: self._render_sync(spec, seed, images))

    def parameters(self, spec: GenerationSpec, seed: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "n": 1,
            "watermark": self.option("watermark", False),
            "seed": seed,
        }
        if self.sends_size:
            params["size"] = f"{spec.size.width}*{spec.size.height}"
        if self.sends_prompt_extend:
            params["prompt_extend"] = self.option("prompt_extend", False)
        if spec.negative_prompt:
            params["negative_prompt"] = spec.negative_prompt[:MAX_NEGATIVE_CHARS]
        return params

    # -- the synchronous endpoint ---------------------------------------------------------

    async def _render_sync(
        self, spec: GenerationSpec, seed: int, images: list[LoadedImage]
    ) -> RenderedImage:
        content: list[dict[str, str]] = [
            {"image": image.within(MAX_INPUT_SIDE, MAX_INPUT_BYTES).data_url()} for image in images
        ]
        content.append({"text": spec.prompt})
        payload = {
            "model": self.model,
            "input": {"messages": [{"role": "user", "content": content}]},
            "parameters": self.parameters(spec, seed),
        }
        body = self.body(await self.http.request("POST", SYNC_PATH, json=payload, paid=True))
        request_id = body.get("request_id")
        urls, texts = _sync_outputs(body)
        if not urls:
            raise BackendError(
                self.id, f"answered without an image: {str(body)[:300]}", request_id=request_id
            )
        try:
            image = await self.download(urls[0])
        except ImageFetchError as exc:
            raise self._lost(exc, request_id) from exc
        revised = texts[0] if texts and texts[0] != spec.prompt else None
        return RenderedImage(image, seed, revised, request_id, self.price_per_image())

    # -- the task API -----------------------------------------------------------------------

    async def _render_task(self, spec: GenerationSpec, seed: int) -> RenderedImage:
        prompt: dict[str, Any] = {"prompt": spec.prompt}
        params = self.parameters(spec, seed)
        if negative := params.pop("negative_prompt", None):
            prompt["negative_prompt"] = negative  # the SDK sends it in `input`
        payload = {"model": self.model, "input": prompt, "parameters": params}
        response = await self.http.request(
            "POST", ASYNC_PATH, json=payload, headers={"X-DashScope-Async": "enable"}, paid=True
        )
        body = self.body(response)
        task_id = (body.get("output") or {}).get("task_id")
        if not task_id:
            raise BackendError(
                self.id,
                f"task submitted but no task id came back: {str(body)[:300]}",
                request_id=body.get("request_id"),
            )
        output, request_id = await self._wait(task_id)
        result = _first_result(self.id, output)
        try:
            image = await self.download(result["url"])
        except ImageFetchError as exc:
            if exc.status not in (403, 404):
                raise
            output, request_id = await self._wait(task_id)  # the query signs the URL again
            fresh = _first_result(self.id, output)
            if fresh["url"] == result["url"]:
                raise self._lost(exc, request_id, task_id) from exc
            image, result = await self.download(fresh["url"]), fresh
        actual = result.get("actual_prompt")
        revised = actual if actual and actual != spec.prompt else None
        return RenderedImage(image, seed, revised, request_id, self.price_per_image())

    async def _wait(self, task_id: str) -> tuple[dict[str, Any], str | None]:
        """The task's output once it has SUCCEEDED; a typed error for the other end states."""

        async def check() -> tuple[dict[str, Any], str | None] | None:
            body = self.body(await self.http.request("GET", f"/tasks/{task_id}"))
            output = body.get("output") or {}
            status = output.get("task_status", "UNKNOWN")
            if status in _WAITING:
                return None
            if status == "SUCCEEDED":
                return output, body.get("request_id")
            raise self._task_error(task_id, status, output, body.get("request_id"))

        return await poll_until(
            check,
            backend_id=self.id,
            job_id=task_id,
            first_wait_s=self.option("poll_wait_s", 1.0),
            limit_s=self.option("task_timeout_s", 600.0),
        )

    def _task_error(
        self, task_id: str, status: str, output: dict[str, Any], request_id: str | None
    ) -> BackendError:
        code, message = output.get("code"), output.get("message") or ""
        if status == "FAILED" and code == "DataInspectionFailed":
            return ModerationError(
                self.id, f"refused by moderation: {message}", code=code, request_id=request_id
            )
        explain = {
            "FAILED": f"task {task_id} failed: {message or 'no reason given'}",
            "CANCELED": f"task {task_id} was canceled",
            "UNKNOWN": f"task {task_id} is unknown or expired (tasks are kept 24 h)",
        }
        return BackendError(
            self.id,
            explain.get(status, f"task {task_id} ended as {status}"),
            code=code,
            request_id=request_id,
        )

    def _lost(
        self, exc: ImageFetchError, request_id: str | None, task_id: str | None = None
    ) -> BackendError:
        what = f"task {task_id}" if task_id else "the render"
        return BackendError(
            self.id,
            f"the result URL of {what} could not be downloaded ({exc.message}); signed result "
            "URLs expire, and the image is not rendered again by itself (it was paid for): "
            "render again if you want it",
            status=exc.status,
            request_id=request_id,
        )


class QwenImage2(DashScopeRenderer):
    """The 2.0 series and later: any size from 512*512 to 2048*2048 pixels; edits when
    given one to three images."""

    sizes = None
    min_side = 128
    min_pixels = 512 * 512
    max_pixels = 2048 * 2048
    supports_edit = True
    supports_reference_images = True
    max_reference_images = 3


class QwenImageEdit(DashScopeRenderer):
    """Qwen-Image-Edit (`-max`, `-plus`): one to three input images, sides 512 to 2048."""

    sizes = None
    min_side = 512
    max_side = 2048
    supports_edit = True
    supports_reference_images = True
    requires_reference_images = True
    max_reference_images = 3


class QwenImageEditBasic(QwenImageEdit):
    """The first `qwen-image-edit`: no size (the output keeps the last image's aspect) and
    no prompt rewriting to switch off."""

    sends_size = False
    sends_prompt_extend = False


def _sync_outputs(body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Image URLs and any text the synchronous endpoint returned."""
    urls: list[str] = []
    texts: list[str] = []
    for choice in (body.get("output") or {}).get("choices") or []:
        for part in (choice.get("message") or {}).get("content") or []:
            if isinstance(part, dict) and isinstance(part.get("image"), str):
                urls.append(part["image"])
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return urls, texts


def _first_result(backend_id: str, output: dict[str, Any]) -> dict[str, Any]:
    for result in output.get("results") or []:
        if isinstance(result, dict) and result.get("url"):
            return result
    failed: dict[str, Any] = next(iter(output.get("results") or []), {})
    raise BackendError(
        backend_id,
        f"task {output.get('task_id')} succeeded without an image: "
        f"{failed.get('message') or failed.get('code') or 'no result'}",
        code=failed.get("code"),
    )
