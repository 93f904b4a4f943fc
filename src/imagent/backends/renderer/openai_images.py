"""`openai/<model>`: the OpenAI Images API (GPT image models and DALL·E).

Text-to-image through `POST /images/generations` (JSON); with input images, `POST
/images/edits` (multipart: `image[]` parts and an optional `mask`). Images come back as
base64; there is no seed, so a render record's seed is None. DALL·E 3's `revised_prompt`
is kept. GPT image models are billed by tokens: the cost is read from the response's
`usage`. Calls are sent once (`paid`): a timeout after sending is reported, not retried.

Options (`[providers.openai.options]`): `quality` ("auto"; "low" / "medium" / "high", or
"standard" / "hd" for dall-e-3), `background`, `moderation`, `input_fidelity`, `style`.
"""

from __future__ import annotations

import asyncio
import io
import os
from typing import Any, ClassVar

from PIL import Image

from imagent.backends.images import LoadedImage
from imagent.backends.renderer.base import RenderedImage
from imagent.backends.renderer.hosted import HostedRenderer, table_entry
from imagent.core.errors import BackendError, ConfigError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings

INPUT_FORMATS = ("PNG", "JPEG", "WEBP")

# USD per million tokens (text in, image in, image out), from OpenAI's price list, 2026-11.
TOKEN_PRICES: dict[str, tuple[float, float, float]] = {
    "gpt-image-1": (5.0, 10.0, 40.0),
    "gpt-image-1-mini": (2.0, 2.5, 8.0),
    "gpt-image-1.5": (5.0, 8.0, 32.0),
}
# Image output tokens of GPT image models by quality and size (the same list), for responses
# that come without `usage`.
OUTPUT_TOKENS = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
# USD per image for the DALL·E models, by quality and size (same list, 2026-11).
IMAGE_PRICES = {
    "dall-e-3:standard:1024x1024": 0.04,
    "dall-e-3:standard:1792x1024": 0.08,
    "dall-e-3:standard:1024x1792": 0.08,
    "dall-e-3:hd:1024x1024": 0.08,
    "dall-e-3:hd:1792x1024": 0.12,
    "dall-e-3:hd:1024x1792": 0.12,
    "dall-e-2:256x256": 0.016,
    "dall-e-2:512x512": 0.018,
    "dall-e-2:1024x1024": 0.02,
}


class OpenAIImagesRenderer(HostedRenderer):
    """GPT image models (`gpt-image-1`, `-1-mini`, `-1.5`): three sizes, edits with up to
    16 images and a mask."""

    provider = "openai"
    default_base_url = "https://api.openai.com/v1"
    base_url_env = "OPENAI_BASE_URL"
    key_env = "OPENAI_API_KEY"
    price_table = IMAGE_PRICES
    known_models = (
        "gpt-image-1",
        "gpt-image-1-mini",
        "gpt-image-1.5",
        "gpt-image-2",
        "dall-e-2",
        "dall-e-3",
    )
    max_prompt_chars = 32000
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = (
        (1024, 1024),
        (1536, 1024),
        (1024, 1536),
    )
    max_candidates = 10
    supports_seed = False
    supports_edit = True
    supports_reference_images = True
    max_reference_images = 16
    supports_mask = True
    batch: ClassVar[int] = 10  # images one request may ask for (`n`)
    max_input_side: ClassVar[int] = 4096  # input images are scaled down to this
    max_input_bytes: ClassVar[int] = 50 * 1024 * 1024  # and re-encoded to stay under this
    gpt: ClassVar[bool] = True  # output_format, usage in tokens, no response_format
    default_quality: ClassVar[str | None] = "auto"

    @classmethod
    def from_id(cls, model: str, settings: Settings) -> OpenAIImagesRenderer:
        if not model:
            raise ConfigError(
                "openai needs an image model: openai/gpt-image-1, openai/dall-e-3, ..."
            )
        cls.check_model(model)
        family: type[OpenAIImagesRenderer] = cls
        if model.startswith("dall-e-3"):
            family = DallE3
        elif model.startswith("dall-e-2"):
            family = DallE2
        elif model.startswith("gpt-image-") and not model.startswith("gpt-image-1"):
            family = GPTImage2
        return family(model, settings)

    def auth_headers(self) -> dict[str, str]:
        headers = super().auth_headers()
        for env, header in (
            ("OPENAI_ORG_ID", "OpenAI-Organization"),
            ("OPENAI_PROJECT_ID", "OpenAI-Project"),
        ):
            if value := os.environ.get(env, "").strip():
                headers[header] = value
        return headers

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        images = await self.input_images(spec)
        mask = await self.mask_image(spec)
        counts = [
            min(self.batch, len(spec.seeds) - i) for i in range(0, len(spec.seeds), self.batch)
        ]
        batches = await asyncio.gather(*(self._bounded(spec, n, images, mask) for n in counts))
        return [one for batch in batches for one in batch]

    async def _bounded(
        self, spec: GenerationSpec, n: int, images: list[LoadedImage], mask: LoadedImage | None
    ) -> list[RenderedImage]:
        async with self.slots():
            return await self._request(spec, n, images, mask)

    def fields(self, spec: GenerationSpec, n: int) -> dict[str, Any]:
        """The request fields both endpoints share."""
        fields: dict[str, Any] = {"model": self.model, "prompt": spec.prompt, "n": n}
        fields["size"] = f"{spec.size.width}x{spec.size.height}"
        if quality := self.quality:
            fields["quality"] = quality
        for name in ("background", "moderation", "style"):
            if value := self.option(name, ""):
                fields[name] = value
        if self.gpt:
            fields["output_format"] = "png"
        else:
            fields["response_format"] = "b64_json"  # GPT models reject it; DALL·E needs it
        return fields

    @property
    def quality(self) -> str | None:
        return self.option("quality", self.default_quality or "") or None

    async def _request(
        self, spec: GenerationSpec, n: int, images: list[LoadedImage], mask: LoadedImage | None
    ) -> list[RenderedImage]:
        fields = self.fields(spec, n)
        if not images:
            response = await self.http.request(
                "POST", "/images/generations", json=fields, paid=True
            )
        else:
            if fidelity := self.option("input_fidelity", ""):
                fields["input_fidelity"] = fidelity
            files = self.image_parts(images, mask)
            data = {k: str(v) for k, v in fields.items()}
            response = await self.http.request(
                "POST", "/images/edits", data=data, files=files, paid=True
            )
        body = self.body(response)
        request_id = response.headers.get("x-request-id")
        items = [item for item in body.get("data") or [] if isinstance(item, dict)]
        if not items or not all(item.get("b64_json") for item in items):
            raise BackendError(
                self.id, f"answered without base64 images: {str(body)[:300]}", request_id=request_id
            )
        cost = self.cost(body, len(items), fields)
        return [
            RenderedImage(
                self.decode_b64(item["b64_json"]),
                seed=None,
                revised_prompt=item.get("revised_prompt"),
                request_id=request_id,
                cost_usd=cost,
            )
            for item in items
        ]

    def image_parts(
        self, images: list[LoadedImage], mask: LoadedImage | None
    ) -> list[tuple[str, tuple[str, bytes, str]]]:
        """Multipart parts: `image[]` for each input image, then the mask."""
        parts: list[tuple[str, tuple[str, bytes, str]]] = []
        for k, image in enumerate(images):
            data, mime = image.within(self.max_input_side, self.max_input_bytes).encoded(
                INPUT_FORMATS
            )
            parts.append(("image[]", (f"image_{k}.{mime.split('/')[1]}", data, mime)))
        if mask is not None:
            first = images[0].within(self.max_input_side, self.max_input_bytes)
            parts.append(("mask", ("mask.png", mask_png(mask, first), "image/png")))
        return parts

    def cost(self, body: dict[str, Any], n: int, fields: dict[str, Any]) -> float:
        """USD per image: a configured price, else tokens from `usage`, else the table."""
        configured = self.config.prices.get(self.model)
        if configured is not None and configured.per_image:
            return configured.per_image
        quality = body.get("quality") or fields.get("quality")
        if self.gpt:
            rates = (
                (configured.input_per_mtok, configured.input_per_mtok, configured.output_per_mtok)
                if configured is not None
                else table_entry(TOKEN_PRICES, self.model) or (0.0, 0.0, 0.0)
            )
            usage = body.get("usage")
            if not isinstance(usage, dict):  # a gateway that drops it: the documented output
                tokens = OUTPUT_TOKENS.get(str(quality), OUTPUT_TOKENS["medium"])
                usage = {
                    "output_tokens": n * tokens.get(str(body.get("size") or fields["size"]), 0)
                }
            return round(token_cost(usage, rates) / max(1, n), 6)
        return self.price_per_image(f"{quality}:{fields['size']}" if quality else fields["size"])


def token_cost(usage: dict[str, Any], rates: tuple[float, float, float]) -> float:
    """USD for a GPT image call's `usage` at (text in, image in, image out) per 1M tokens."""
    details = usage.get("input_tokens_details") or {}
    text_in = int(details.get("text_tokens", usage.get("input_tokens", 0)) or 0)
    image_in = int(details.get("image_tokens", 0) or 0)
    out = int(usage.get("output_tokens", 0) or 0)
    return (text_in * rates[0] + image_in * rates[1] + out * rates[2]) / 1e6


def mask_png(mask: LoadedImage, first: LoadedImage) -> bytes:
    """The mask as the API wants it: a PNG with an alpha channel, the size of the first image,
    transparent where the image may change. A mask without alpha is read as white = change."""
    image = mask.to_pil()
    if image.mode != "RGBA":
        grey = image.convert("L")
        image = Image.merge("RGBA", (grey, grey, grey, grey.point(lambda v: 255 - v)))
    if image.size != (first.width, first.height):
        image = image.resize((first.width, first.height), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class GPTImage2(OpenAIImagesRenderer):
    """`gpt-image-2` and later: any size with sides a multiple of 16, aspect 1:3 to 3:1, at
    most 3840x2160 pixels."""

    sizes = None
    size_multiple = 16
    max_aspect = 3.0
    max_side = 3840
    max_pixels = 3840 * 2160


class DallE3(OpenAIImagesRenderer):
    """`dall-e-3`: three sizes, one image a request, its own prompt rewrite, no edits."""

    max_prompt_chars = 4000
    sizes = ((1024, 1024), (1792, 1024), (1024, 1792))
    max_candidates = 4
    supports_edit = False
    supports_reference_images = False
    max_reference_images = 0
    supports_mask = False
    batch = 1
    gpt = False
    default_quality = "standard"


class DallE2(OpenAIImagesRenderer):
    """`dall-e-2`: square sizes; edits one square PNG with an optional mask."""

    max_prompt_chars = 1000
    sizes = ((256, 256), (512, 512), (1024, 1024))
    max_reference_images = 1
    gpt = False
    default_quality = None
    max_input_side = 1024
    max_input_bytes = 4 * 1024 * 1024

    def image_parts(
        self, images: list[LoadedImage], mask: LoadedImage | None
    ) -> list[tuple[str, tuple[str, bytes, str]]]:
        """DALL·E 2 takes one `image` (a square PNG), not `image[]`."""
        [(_, (_, data, _))] = super().image_parts(images[:1], None)
        parts = [("image", ("image.png", _as_png(data), "image/png"))]
        if mask is not None:
            first = images[0].within(self.max_input_side, self.max_input_bytes)
            parts.append(("mask", ("mask.png", mask_png(mask, first), "image/png")))
        return parts


def _as_png(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            return data
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
