"""The Renderer backend kind: a GenerationSpec in, one render record per seed out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image

from imagent.backends.base import Backend
from imagent.core.types import GenerationSpec, Size


@dataclass
class RenderedImage:
    """One image and what the provider said about it.

    `seed` is the seed the provider actually used (None when it takes no seed or does not
    say); `revised_prompt` is the provider's own rewrite of the prompt, when it made one.
    """

    image: Image.Image
    seed: int | None = None
    revised_prompt: str | None = None
    request_id: str | None = None
    cost_usd: float = 0.0


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
    exact_text: ClassVar[bool] = False  # draws `spec.text` verbatim (a compositor)
    photographic: ClassVar[bool] = True  # can draw scenes and photographs, not only layouts
    max_concurrency: ClassVar[int] = 4  # renders of one backend instance in flight at once

    @abstractmethod
    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
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
