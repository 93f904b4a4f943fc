"""Backgrounds: a flat or gradient fill plus the theme's texture (chalk dust, paper grain...).

Randomness comes from `random.Random(...).randbytes`, never from Pillow's own noise
functions, so the same seed gives the same pixels everywhere.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from imagent.backends.renderer.layout.colors import RGB, mix
from imagent.backends.renderer.layout.geometry import Rect
from imagent.backends.renderer.layout.themes import Theme

SUPERSAMPLE_UP_TO = 2048  # larger canvases draw shapes at 1x: already smooth, and memory adds up


class Sketch:
    """A transparent layer drawn at twice the size and composited down, for smooth edges."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self.scale = 2 if max(size) <= SUPERSAMPLE_UP_TO else 1
        self.image = Image.new("RGBA", (size[0] * self.scale, size[1] * self.scale), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)

    def px(self, value: float) -> int:
        """A length in canvas pixels, in layer pixels."""
        return max(1, round(value * self.scale))

    def box(self, rect: Rect) -> tuple[int, int, int, int]:
        s = self.scale
        x0, y0 = rect.x0 * s, rect.y0 * s
        return (x0, y0, max(x0, rect.x1 * s - 1), max(y0, rect.y1 * s - 1))

    def points(self, points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * self.scale, y * self.scale) for x, y in points]

    def onto(self, canvas: Image.Image) -> None:
        """Composite this layer onto an RGBA canvas of `size`."""
        layer = self.image
        if self.scale != 1:
            layer = layer.resize(self.size, Image.Resampling.BOX)
        canvas.alpha_composite(layer)


def noise(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """Uniform grey noise, reproducible from the generator."""
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def roughen(sketch: Sketch, rng: random.Random) -> None:
    """Break strokes up like chalk on a board: thin the layer's alpha with noise."""
    grain = noise(sketch.image.size, rng).point([110 + v * 145 // 255 for v in range(256)])
    sketch.image.putalpha(ImageChops.multiply(sketch.image.getchannel("A"), grain))


def _tint(canvas: Image.Image, colour: RGB, mask: Image.Image) -> None:
    """Blend `colour` over the canvas where `mask` (alpha) says."""
    canvas.paste((*colour, 255), (0, 0), mask)


def _smudges(canvas: Image.Image, colour: RGB, rng: random.Random, strength: int) -> None:
    """Large soft marks, as left by a wiped board: drawn small, blurred, scaled up."""
    w, h = canvas.size
    small = Image.new("L", (max(8, w // 8), max(8, h // 8)), 0)
    draw = ImageDraw.Draw(small)
    for _ in range(rng.randint(5, 10)):
        cx, cy = rng.uniform(0, small.width), rng.uniform(0, small.height)
        rx, ry = rng.uniform(0.1, 0.35) * small.width, rng.uniform(0.03, 0.12) * small.height
        draw.ellipse(
            (cx - rx, cy - ry, cx + rx, cy + ry), fill=rng.randint(strength // 2, strength)
        )
    small = small.filter(ImageFilter.GaussianBlur(max(1.0, small.width / 25)))
    _tint(canvas, colour, small.resize(canvas.size, Image.Resampling.BILINEAR))


def _specks(canvas: Image.Image, colour: RGB, rng: random.Random, share: int, alpha: int) -> None:
    """Scattered single-pixel and 2x2 specks; `share` of 256 pixels get one."""
    lut = [alpha if v >= 256 - share else 0 for v in range(256)]
    fine = noise(canvas.size, rng).point(lut)
    half = (max(1, canvas.width // 2), max(1, canvas.height // 2))
    coarse = (
        noise(half, rng).point([v // 2 for v in lut]).resize(canvas.size, Image.Resampling.NEAREST)
    )
    _tint(canvas, colour, fine)
    _tint(canvas, colour, coarse)


def chalk_texture(canvas: Image.Image, theme: Theme, rng: random.Random) -> None:
    """Wiped-chalk smudges and chalk dust in the ink colour."""
    _smudges(canvas, theme.ink, rng, 34)
    _specks(canvas, theme.ink, rng, share=4, alpha=60)


def smudge_texture(canvas: Image.Image, theme: Theme, rng: random.Random) -> None:
    """Ghosts of erased marker on a whiteboard."""
    _smudges(canvas, mix(theme.background, (120, 130, 140), 0.6), rng, 22)


def grain_texture(canvas: Image.Image, theme: Theme, rng: random.Random) -> None:
    """Fine print grain, darker and lighter."""
    _specks(canvas, mix(theme.background, (0, 0, 0), 0.35), rng, share=30, alpha=40)
    _specks(canvas, mix(theme.background, (255, 255, 255), 0.5), rng, share=20, alpha=40)


def paper_texture(canvas: Image.Image, theme: Theme, rng: random.Random) -> None:
    """Kraft fibres: horizontal streaks plus grain."""
    w, h = canvas.size
    streaks = noise((max(4, w // 10), max(4, h // 3)), rng).point([v // 9 for v in range(256)])
    streaks = streaks.resize(canvas.size, Image.Resampling.BILINEAR)
    _tint(canvas, mix(theme.background, (0, 0, 0), 0.4), streaks)
    grain_texture(canvas, theme, rng)


def grid_texture(canvas: Image.Image, theme: Theme, rng: random.Random) -> None:
    """A faint neon grid."""
    w, h = canvas.size
    step = max(8, min(w, h) // rng.choice([10, 14, 18]))
    layer = Image.new("L", canvas.size, 0)
    draw = ImageDraw.Draw(layer)
    width = max(1, min(w, h) // 700)
    for x in range(step // 2, w, step):
        draw.line((x, 0, x, h), fill=26, width=width)
    for y in range(step // 2, h, step):
        draw.line((0, y, w, y), fill=26, width=width)
    _tint(canvas, theme.accents[1], layer)


TEXTURES: dict[str, Callable[[Image.Image, Theme, random.Random], None]] = {
    "chalk": chalk_texture,
    "smudge": smudge_texture,
    "grain": grain_texture,
    "paper": paper_texture,
    "grid": grid_texture,
}


def paint_background(size: tuple[int, int], theme: Theme, seed: int) -> Image.Image:
    """The RGBA canvas: the theme's fill (vertical gradient if it has one) and texture."""
    start, end = theme.background, theme.background_end
    canvas = Image.new("RGBA", size, (*start, 255))
    if start != end:
        ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
        canvas.paste((*end, 255), (0, 0), ramp)
    texture = TEXTURES.get(theme.texture)
    if texture is not None:
        texture(canvas, theme, random.Random(f"texture:{seed}"))
    return canvas
