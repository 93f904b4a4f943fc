"""`layout/<preset>`: the embedded renderer, a Pillow compositor for text-exact images.

It needs no model: it reads the spec's words for a theme (chalkboard, neon, retro, colour
names, hex codes...), lays the exact text out for the preset, decorates the free space
with seeded shapes, and draws the text last in a high-contrast ink.
"""

from __future__ import annotations

import asyncio
import difflib
from typing import ClassVar

from PIL import Image

from imagent.backends.renderer.base import RenderedImage, Renderer
from imagent.backends.renderer.layout.background import paint_background
from imagent.backends.renderer.layout.decor import paint_back, paint_front
from imagent.backends.renderer.layout.paint import paint_rules, paint_surfaces, paint_texts
from imagent.backends.renderer.layout.presets import PRESETS, plan_layout
from imagent.backends.renderer.layout.regions import Layout
from imagent.backends.renderer.layout.themes import resolve_theme
from imagent.core.errors import ConfigError
from imagent.core.types import GenerationSpec
from imagent.settings import Settings

DEFAULT_PRESET = "poster"


def compose(spec: GenerationSpec, preset: str, seed: int) -> Image.Image:
    """Render one RGB image of `spec` with `preset` and `seed` (blocking; pure function)."""
    theme = resolve_theme(spec)
    layout = plan_layout(spec, preset, seed, theme)
    canvas = paint_background((spec.size.width, spec.size.height), theme, seed)
    paint_back(canvas, layout, theme, seed)
    paint_surfaces(canvas, layout, theme)
    paint_rules(canvas, layout, theme)
    paint_front(canvas, layout, theme, seed)
    paint_texts(canvas, layout, theme)
    return canvas.convert("RGB")


class LayoutRenderer(Renderer):
    """Draws `spec.text` exactly onto a themed, decorated canvas: poster, card, infographic,
    slide or banner (the part of the id after `layout/`; empty means poster)."""

    provider: ClassVar[str] = "layout"
    exact_text: ClassVar[bool] = True
    photographic: ClassVar[bool] = False  # layouts and type; a photograph comes out abstract
    supports_seed: ClassVar[bool] = True
    max_prompt_chars: ClassVar[int] = 4000
    sizes: ClassVar[tuple[tuple[int, int], ...] | None] = None
    min_side: ClassVar[int] = 64
    max_side: ClassVar[int] = 4096
    presets: ClassVar[tuple[str, ...]] = tuple(PRESETS)

    def __init__(self, model: str = "", settings: Settings | None = None) -> None:
        super().__init__(model, settings)
        self.preset = model.strip().lower() or DEFAULT_PRESET
        if self.preset not in PRESETS:
            close = difflib.get_close_matches(self.preset, self.presets, n=1)
            hint = f" Did you mean 'layout/{close[0]}'?" if close else ""
            known = ", ".join(f"layout/{name}" for name in self.presets)
            raise ConfigError(f"unknown layout preset {model!r}.{hint} Known presets: {known}")

    def plan(self, spec: GenerationSpec, seed: int = 0) -> Layout:
        """The geometry `render` would draw for `seed`: text boxes, sizes, surfaces, panels."""
        return plan_layout(spec, self.preset, seed, resolve_theme(spec))

    async def render(self, spec: GenerationSpec) -> list[RenderedImage]:
        """One image per seed, in order; the drawing runs in worker threads."""
        jobs = (asyncio.to_thread(compose, spec, self.preset, seed) for seed in spec.seeds)
        images = await asyncio.gather(*jobs)
        return [
            RenderedImage(image, seed=seed) for image, seed in zip(images, spec.seeds, strict=True)
        ]
