"""`diffusers/<folder>`: a diffusers pipeline from a local folder (`save_pretrained` output).

Text-to-image, image-to-image (one input image) and inpainting (with a mask) from the same
weights, through diffusers' auto pipelines. Weights are read from the folder only
(`local_files_only`): imagent never downloads a model. Runs on CUDA when there is a GPU,
else on the CPU; the seed drives a CPU generator, so a seed gives the same image anywhere.
Needs the extra: `pip install 'imagent[diffusers]'`.

Options (`[providers.diffusers.options]`): `steps` (30), `guidance_scale` (7.0),
`strength` (0.75, image-to-image and inpainting), `device` ("auto", "cpu", "cuda", ...),
`dtype` ("auto": float16 on CUDA, else float32).
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path
from typing import Any

from PIL import Image

from imagent.backends.images import LoadedImage
from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.core.errors import BackendError, ConfigError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings

# Importing torch and diffusers takes seconds, so it waits for the first render; whether
# the extra is installed is known at once (the registry then names the extra to install).
for _package in ("torch", "diffusers", "transformers"):
    if importlib.util.find_spec(_package) is None:
        raise ImportError(f"No module named {_package!r}", name=_package)
DTYPES = ("float32", "float16", "bfloat16")


class DiffusersRenderer(Renderer):
    """A local diffusers pipeline; one render at a time (it holds the whole device)."""

    provider = "diffusers"
    max_prompt_chars = 400  # CLIP text encoders read 77 tokens
    supports_negative_prompt = True
    supports_edit = True
    supports_reference_images = True
    max_reference_images = 1
    supports_mask = True
    size_multiple = 8
    max_side = 2048
    max_concurrency = 1

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        super().__init__(model, settings)
        self.folder = Path(model).expanduser()
        if not model or not (self.folder / "model_index.json").is_file():
            raise ConfigError(
                f"diffusers/{model}: give a local pipeline folder (one with model_index.json, "
                "as save_pretrained writes it); imagent never downloads weights"
            )
        self.options = self.settings.provider(self.provider).options
        self._pipelines: dict[str, Any] = {}
        self._lock = threading.Lock()

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        images = await self.input_images(spec)
        mask = await self.mask_image(spec)
        return await asyncio.to_thread(self._render_all, spec, images, mask)

    def _render_all(
        self, spec: GenerationSpec, images: list[LoadedImage], mask: LoadedImage | None
    ) -> list[RenderedImage]:
        with self._lock:  # one pipeline, one render at a time, whichever event loop asks
            return [RenderedImage(self._one(spec, seed, images, mask), seed) for seed in spec.seeds]

    def _one(
        self, spec: GenerationSpec, seed: int, images: list[LoadedImage], mask: LoadedImage | None
    ) -> Image.Image:
        import torch

        size = (spec.size.width, spec.size.height)
        call: dict[str, Any] = {
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt or None,
            "num_inference_steps": int(self.options.get("steps", 30)),
            "guidance_scale": float(self.options.get("guidance_scale", 7.0)),
            "generator": torch.Generator("cpu").manual_seed(seed),
        }
        if images:
            call["image"] = images[0].to_pil().convert("RGB").resize(size)
            call["strength"] = float(self.options.get("strength", 0.75))
        if mask is not None:
            call["mask_image"] = mask.to_pil().convert("L").resize(size)
        if not images or mask is not None:
            call.update(width=size[0], height=size[1])
        kind = "inpaint" if mask is not None else "image" if images else "text"
        try:
            output = self._pipeline(kind)(**call)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(self.id, f"the pipeline failed: {exc}") from exc
        image: Image.Image = output.images[0]
        return image

    def _pipeline(self, kind: str) -> Any:
        """The text-to-image pipeline, loaded once; the others share its weights."""
        if "text" not in self._pipelines:
            self._pipelines["text"] = self._load()
        if kind not in self._pipelines:
            from diffusers import AutoPipelineForImage2Image, AutoPipelineForInpainting

            auto = AutoPipelineForImage2Image if kind == "image" else AutoPipelineForInpainting
            self._pipelines[kind] = auto.from_pipe(self._pipelines["text"])
            self._pipelines[kind].set_progress_bar_config(disable=True)
        return self._pipelines[kind]

    def _load(self) -> Any:
        import torch
        from diffusers import AutoPipelineForText2Image

        device = str(self.options.get("device", "auto"))
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype_name = str(self.options.get("dtype", "auto"))
        if dtype_name == "auto":
            dtype_name = "float16" if device.startswith("cuda") else "float32"
        if dtype_name not in DTYPES:
            raise ConfigError(
                f"[providers.diffusers.options] dtype must be one of {', '.join(DTYPES)}, not {dtype_name!r}"
            )
        try:
            pipeline = AutoPipelineForText2Image.from_pretrained(
                self.folder, local_files_only=True, dtype=getattr(torch, dtype_name)
            )
        except (OSError, ValueError) as exc:
            raise ConfigError(f"diffusers/{self.model}: cannot load the pipeline: {exc}") from exc
        pipeline.set_progress_bar_config(disable=True)
        return pipeline.to(device)
