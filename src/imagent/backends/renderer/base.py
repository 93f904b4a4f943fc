"""The Renderer backend kind: a GenerationSpec in, one image per seed out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from PIL import Image

from imagent.backends.base import Backend
from imagent.core.types import GenerationSpec, Size


class Renderer(Backend, ABC):
    """Turns a complete instruction into images. Capabilities drive COMPOSE."""

    kind: ClassVar[str] = "renderer"
    max_prompt_chars: ClassVar[int] = 4000
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = None  # None: any size within the sides
    min_side: ClassVar[int] = 64
    max_side: ClassVar[int] = 4096
    max_candidates: ClassVar[int] = 8
    supports_seed: ClassVar[bool] = True
    supports_negative_prompt: ClassVar[bool] = False
    supports_edit: ClassVar[bool] = False
    supports_reference_images: ClassVar[bool] = False
    exact_text: ClassVar[bool] = (
        False  # draws `spec.text` verbatim (a compositor, not a diffusion model)
    )

    @abstractmethod
    async def render(self, spec: GenerationSpec) -> list[Image.Image]:
        """Render one image for each seed in `spec.seeds`, in that order."""

    def fit_size(self, size: Size) -> Size:
        """The size this renderer will produce for a requested size."""
        if self.sizes:
            want = size.width / size.height
            w, h = min(
                self.sizes,
                key=lambda s: (
                    abs(s[0] / s[1] - want),
                    abs(s[0] * s[1] - size.width * size.height),
                ),
            )
            return Size(width=w, height=h)
        return Size(width=self._clamp(size.width), height=self._clamp(size.height))

    def _clamp(self, side: int) -> int:
        return max(self.min_side, min(self.max_side, side))
