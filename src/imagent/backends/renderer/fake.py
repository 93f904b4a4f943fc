"""A deterministic renderer for tests: colour from the prompt and seed, text drawn plainly."""

from __future__ import annotations

import hashlib

from PIL import Image, ImageDraw, ImageFont

from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.backends.retry import RetryPolicy, call_with_retries
from imagent.core.errors import BackendError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings


class FakeRenderer(Renderer):
    """`fake/...`: same spec and seed give the same pixels. `fail_first` simulates outages."""

    provider = "fake"
    exact_text = True

    def __init__(self, model: str = "", settings: Settings | None = None, *, fail_first: int = 0):
        super().__init__(model, settings)
        self.fail_first = fail_first
        self.specs: list[GenerationSpec] = []

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        """Like a hosted provider, it retries its own transient failures."""
        return await call_with_retries(
            lambda: self._attempt(spec), RetryPolicy.from_settings(self.settings)
        )

    async def _attempt(self, spec: GenerationSpec) -> list[RenderedImage]:
        self.specs.append(spec)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise BackendError(self.id, "simulated outage", retryable=True, status=503)
        return [RenderedImage(self._one(spec, seed), seed=seed) for seed in spec.seeds]

    def _one(self, spec: GenerationSpec, seed: int) -> Image.Image:
        digest = hashlib.sha256(f"{spec.prompt}|{seed}".encode()).digest()
        image = Image.new("RGB", (spec.size.width, spec.size.height), tuple(digest[:3]))
        draw = ImageDraw.Draw(image)
        font = ImageFont.load_default(size=max(10, spec.size.height // 12))
        y = spec.size.height // 8
        for block in spec.text:
            draw.text((spec.size.width // 16, y), block.text, fill=(255, 255, 255), font=font)
            y += spec.size.height // 6
        return image
