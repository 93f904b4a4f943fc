"""The Renderer backend kind: a GenerationSpec in, one render record per seed out."""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from PIL import Image

from imagent.backends.base import Backend
from imagent.backends.images import ImagePolicy, LoadedImage, load_image
from imagent.core.errors import ConfigError
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
    """Turns a complete instruction into images. Capabilities drive COMPOSE.

    Sizes: `sizes` lists the only sizes a model takes; otherwise any size within the
    sides, the pixel range, the aspect limit and the multiple below. `fit_size` snaps a
    requested size to one the model accepts.
    """

    kind: ClassVar[str] = "renderer"
    max_prompt_chars: ClassVar[int] = 4000
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = None  # None: any size within the sides
    min_side: ClassVar[int] = 64
    max_side: ClassVar[int] = 4096
    min_pixels: ClassVar[int | None] = None  # width * height bounds, when the model has them
    max_pixels: ClassVar[int | None] = None
    max_aspect: ClassVar[float | None] = None  # long side / short side
    size_multiple: ClassVar[int] = 1  # both sides a multiple of this (8 for latent diffusion)
    max_candidates: ClassVar[int] = 8
    supports_seed: ClassVar[bool] = True
    supports_negative_prompt: ClassVar[bool] = False
    supports_edit: ClassVar[bool] = False  # changes a given image (rather than drawing anew)
    supports_reference_images: ClassVar[bool] = False
    max_reference_images: ClassVar[int] = 0  # how many input images one render takes
    requires_reference_images: ClassVar[bool] = False  # an edit-only model
    supports_mask: ClassVar[bool] = (
        False  # takes a mask marking the area of the first image to edit
    )
    exact_text: ClassVar[bool] = False  # draws `spec.text` verbatim (a compositor)
    photographic: ClassVar[bool] = True  # can draw scenes and photographs, not only layouts
    max_concurrency: ClassVar[int] = 4  # renders of one backend instance in flight at once

    @abstractmethod
    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        """Render one image for each seed in `spec.seeds`, in that order."""

    async def input_images(self, spec: GenerationSpec) -> list[LoadedImage]:
        """The spec's reference images, read by the one image loader; a clear error when
        their number does not suit the model."""
        sources = spec.reference_images
        if self.requires_reference_images and not sources:
            raise ConfigError(
                f"{self.id} edits images: give one to {self.max_reference_images} "
                "with --image (a path, URL or data URL)"
            )
        if len(sources) > self.max_reference_images:
            takes = (
                f"takes at most {self.max_reference_images} input image(s)"
                if self.max_reference_images
                else "takes no input images"
            )
            raise ConfigError(f"{self.id} {takes}; {len(sources)} were given")
        return list(await asyncio.gather(*(self._read_image(s) for s in sources)))

    async def mask_image(self, spec: GenerationSpec) -> LoadedImage | None:
        """The spec's edit mask, read by the image loader (None when it has none)."""
        if spec.mask is None:
            return None
        if not self.supports_mask:
            raise ConfigError(f"{self.id} takes no mask; leave --mask out")
        if not spec.reference_images:
            raise ConfigError(
                "a mask marks what may change in the first --image: give that image too"
            )
        return await self._read_image(spec.mask)

    async def _read_image(self, source: str) -> LoadedImage:
        return await load_image(source, ImagePolicy.from_settings(self.settings))

    def fit_size(self, size: Size) -> Size:
        """The size this renderer will produce for a requested size: the allowed size of
        the nearest aspect (then area), or the requested aspect within the model's rules."""
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
        return self._fit_free(size)

    def _fit_free(self, size: Size) -> Size:
        w, h = float(size.width), float(size.height)
        if self.max_aspect:
            ratio = min(max(w / h, 1 / self.max_aspect), self.max_aspect)
            w, h = math.sqrt(w * h * ratio), math.sqrt(w * h / ratio)
        area = w * h
        if self.max_pixels and area > self.max_pixels:
            w, h = _scaled(w, h, math.sqrt(self.max_pixels / area))
        elif self.min_pixels and area < self.min_pixels:
            w, h = _scaled(w, h, math.sqrt(self.min_pixels / area))
        if max(w, h) > self.max_side:
            w, h = _scaled(w, h, self.max_side / max(w, h))
        if min(w, h) < self.min_side:
            w, h = _scaled(w, h, self.min_side / min(w, h))
        return self._settle(self._snap(w), self._snap(h))

    def _settle(self, width: int, height: int) -> Size:
        """After rounding: step the long side down while the aspect or the pixels are over,
        and the short side up while the pixels are under, one multiple at a time."""
        step, low, high = self.size_multiple, self._snap(self.min_side), self._snap(self.max_side)
        for _ in range(4096):
            long_, short = max(width, height), min(width, height)
            too_wide = self.max_aspect is not None and long_ / short > self.max_aspect
            too_big = self.max_pixels is not None and width * height > self.max_pixels
            too_small = self.min_pixels is not None and width * height < self.min_pixels
            if (too_wide or too_big) and long_ - step >= low:
                width, height = (
                    (width - step, height) if width >= height else (width, height - step)
                )
            elif too_small and short + step <= high:
                width, height = (
                    (width + step, height) if width <= height else (width, height + step)
                )
            else:
                break
        return Size(width=width, height=height)

    def _snap(self, side: float) -> int:
        """`side` rounded to the multiple, within the sides (themselves rounded inwards)."""
        step = self.size_multiple
        low = math.ceil(self.min_side / step) * step
        high = self.max_side // step * step
        return int(min(high, max(low, round(side / step) * step)))


def _scaled(w: float, h: float, factor: float) -> tuple[float, float]:
    return w * factor, h * factor
