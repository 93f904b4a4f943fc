"""Painting a layout's surfaces, accent rules and text onto the canvas.

Text is drawn last, straight onto the canvas at its native size (FreeType's own
antialiasing), in an ink checked for WCAG contrast against what it sits on.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageFilter

from imagent.backends.renderer.layout.background import Sketch, roughen
from imagent.backends.renderer.layout.colors import RGB, mix, readable
from imagent.backends.renderer.layout.regions import Layout, Surface
from imagent.backends.renderer.layout.stack import Placed
from imagent.backends.renderer.layout.themes import Theme

_ROLE_FADE = {"headline": 0.0, "body": 0.12, "caption": 0.25, "label": 0.0}


def surface_fill(kind: str, theme: Theme) -> RGB | None:
    """The fill of a surface kind; None where the background shows through."""
    if theme.outline_only or kind == "footer":
        return None
    return theme.accents[1] if kind == "band" else theme.surface


def _shadow(canvas: Image.Image, surface: Surface) -> None:
    """A soft drop shadow, blurred at a quarter size (cheap at any canvas size)."""
    factor = 4
    small = Image.new("L", (max(1, canvas.width // factor), max(1, canvas.height // factor)), 0)
    r = surface.rect
    offset = max(1, r.short_side // 60)
    box = (
        (r.x0 + offset) // factor,
        (r.y0 + 2 * offset) // factor,
        (r.x1 + offset) // factor,
        (r.y1 + 2 * offset) // factor,
    )
    ImageDraw.Draw(small).rounded_rectangle(box, surface.radius // factor, fill=70)
    small = small.filter(ImageFilter.GaussianBlur(max(1.0, r.short_side / 80 / factor * 3)))
    canvas.paste((0, 0, 0, 255), (0, 0), small.resize(canvas.size, Image.Resampling.BILINEAR))


def paint_surfaces(canvas: Image.Image, layout: Layout, theme: Theme) -> None:
    """Cards, panels, bands and item boxes (outlines only on chalk- and whiteboards)."""
    if not layout.surfaces:
        return
    for surface in layout.surfaces:
        if surface.kind == "card" and not theme.outline_only:
            _shadow(canvas, surface)
    sketch = Sketch(canvas.size)
    width = sketch.px(max(1.0, layout.canvas.short_side * 0.004))
    for surface in layout.surfaces:
        fill = surface_fill(surface.kind, theme)
        outlined = surface.kind in ("card", "panel") or (
            theme.outline_only and surface.kind == "item"
        )
        sketch.draw.rounded_rectangle(
            sketch.box(surface.rect),
            sketch.px(surface.radius) if surface.radius else 0,
            fill=(*fill, 255) if fill else None,
            outline=(*theme.border, 255) if outlined else None,
            width=width if outlined else 0,
        )
        if surface.kind == "band" and fill is None:
            edge = surface.rect.below(surface.rect.y1 - max(2, width // sketch.scale))
            sketch.draw.rectangle(sketch.box(edge), fill=(*theme.accents[0], 230))
    if theme.texture == "chalk":
        roughen(sketch, random.Random(f"surfaces:{layout.canvas}"))
    sketch.onto(canvas)


def paint_rules(canvas: Image.Image, layout: Layout, theme: Theme) -> None:
    """Accent bars: under headlines, and the markers of infographic items."""
    draw = ImageDraw.Draw(canvas)
    for index, rule in enumerate(layout.rules):
        draw.rectangle(rule.box, fill=(*theme.accents[index % 3], 255))


def surface_colours(placed: Placed, theme: Theme) -> list[RGB]:
    """What is under a text: its surface's fill, or the background's gradient ends."""
    fill = surface_fill(placed.surface, theme) if placed.surface != "background" else None
    return [fill] if fill is not None else list(theme.backgrounds)


def ink_for(placed: Placed, theme: Theme) -> RGB:
    """The text colour: ink (accent for labels), faded by role, kept at 4.5:1 contrast."""
    under = surface_colours(placed, theme)
    base = theme.accents[0] if placed.piece.role == "label" else theme.ink
    base = readable(base, under)
    return readable(mix(base, under[0], _ROLE_FADE.get(placed.piece.role, 0.0)), under)


def _glow(canvas: Image.Image, placed: Placed, colour: RGB) -> None:
    mask = Image.new("L", canvas.size, 0)
    draw = ImageDraw.Draw(mask)
    for (x, y), line in zip(placed.line_origins(), placed.typeset.lines, strict=True):
        draw.text((x, y), line, font=placed.typeset.font, fill=255, anchor="la")
    radius = max(1.0, placed.typeset.size * 0.1)
    mask = mask.filter(ImageFilter.GaussianBlur(radius)).point(
        [min(200, v * 2) for v in range(256)]
    )
    canvas.paste((*colour, 255), (0, 0), mask)


def _draw_lines(draw: ImageDraw.ImageDraw, placed: Placed, colour: RGB, shift: int = 0) -> None:
    font = placed.typeset.font
    for (x, y), line in zip(placed.line_origins(), placed.typeset.lines, strict=True):
        draw.text((x + shift, y + shift), line, font=font, fill=(*colour, 255), anchor="la")


def paint_texts(canvas: Image.Image, layout: Layout, theme: Theme) -> None:
    """Every placed text, headlines with the theme's glow or shadow."""
    draw = ImageDraw.Draw(canvas)
    for placed in layout.texts:
        headline = placed.piece.role == "headline"
        if headline and theme.glow:
            _glow(canvas, placed, theme.accents[0])
        if headline and theme.shadow and placed.typeset.size >= 24:
            _draw_lines(draw, placed, theme.accents[0], max(1, placed.typeset.size // 22))
        _draw_lines(draw, placed, ink_for(placed, theme))
