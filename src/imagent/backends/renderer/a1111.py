"""`a1111/<checkpoint>`: AUTOMATIC1111's stable-diffusion-webui (and Forge) over its API.

Start the web UI with `--api`. Text-to-image through `POST /sdapi/v1/txt2img`; with an input
image, `POST /sdapi/v1/img2img` (`init_images`, and the mask for inpainting). The
checkpoint named in the id is selected for the call only (`override_settings`); `a1111`
alone uses the loaded one. The seed of each image comes from the response's `info`
(`all_seeds`). With `--api-auth user:password`, put `user:password` in A1111_API_AUTH.

Options (`[providers.a1111.options]`): `steps` (30), `cfg_scale` (7.0), `sampler_name`,
`scheduler`, `denoising_strength` (0.75, image-to-image).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from imagent.backends.images import LoadedImage
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.hosted import HostedRenderer
from imagent.core.errors import BackendError
from imagent.core.types import GenerationSpec

AUTH_ENV = "A1111_API_AUTH"


class A1111Renderer(HostedRenderer):
    """Stable Diffusion through the web UI's API: seeds, negative prompts, img2img, masks."""

    provider = "a1111"
    default_base_url = "http://127.0.0.1:7860"
    key_env = None
    key_required = False
    supports_negative_prompt = True
    supports_edit = True
    supports_reference_images = True
    max_reference_images = 1
    supports_mask = True
    size_multiple = 8
    max_concurrency = 1  # the web UI renders one job at a time; more would only queue

    def auth_headers(self) -> dict[str, str]:
        """HTTP Basic auth from A1111_API_AUTH (`user:password`), when it is set."""
        env = self.config.api_key_env or AUTH_ENV
        value = os.environ.get(env, "").strip()
        if not value:
            return {}
        return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode("ascii")}

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        images = await self.input_images(spec)
        mask = await self.mask_image(spec)
        return await self.each_seed(spec, lambda seed: self._render_one(spec, seed, images, mask))

    def payload(self, spec: GenerationSpec, seed: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt,
            "seed": seed,
            "width": spec.size.width,
            "height": spec.size.height,
            "steps": self.option("steps", 30),
            "cfg_scale": self.option("cfg_scale", 7.0),
            "batch_size": 1,
            "n_iter": 1,
            "send_images": True,
            "save_images": False,
        }
        for name in ("sampler_name", "scheduler"):
            if value := self.option(name, ""):
                payload[name] = value
        if self.model:
            payload["override_settings"] = {"sd_model_checkpoint": self.model}
            payload["override_settings_restore_afterwards"] = True
        return payload

    async def _render_one(
        self, spec: GenerationSpec, seed: int, images: list[LoadedImage], mask: LoadedImage | None
    ) -> RenderedImage:
        payload = self.payload(spec, seed)
        path = "/sdapi/v1/txt2img"
        if images:
            path = "/sdapi/v1/img2img"
            payload["init_images"] = [_b64(image) for image in images]
            payload["denoising_strength"] = self.option("denoising_strength", 0.75)
            if mask is not None:
                payload["mask"] = _b64(mask)
        body = self.body(await self.http.request("POST", path, json=payload, paid=True))
        results = body.get("images") or []
        if not results:
            raise BackendError(self.id, "answered without an image")
        info = _info(body.get("info"))
        seeds = info.get("all_seeds") or [info.get("seed", seed)]
        return RenderedImage(
            self.decode_b64(str(results[0])),
            seed=int(seeds[0]) if seeds and seeds[0] is not None else seed,
            cost_usd=self.price_per_image(),
        )


def _b64(image: LoadedImage) -> str:
    data, _ = image.encoded(("PNG", "JPEG", "WEBP"))
    return base64.b64encode(data).decode("ascii")


def _info(value: Any) -> dict[str, Any]:
    """The response's `info`: a JSON string describing the generation."""
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
