"""Decorative motifs: corner shapes, circles, confetti, stripes, dots, frames, suns, waves...

Every motif places its shapes with the seeded generator and only where they touch none of
the layout's keep-out rectangles (the text and its accent rules), so text stays readable.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from imagent.backends.renderer.layout.background import Sketch
from imagent.backends.renderer.layout.geometry import Rect, free_of
from imagent.backends.renderer.layout.themes import Theme

RGBA = tuple[int, int, int, int]
Point = tuple[float, float]


@dataclass
class Decor:
    """What a motif draws with: the layer, the theme, the generator and the no-go areas."""

    sketch: Sketch
    canvas: Rect
    theme: Theme
    rng: random.Random
    keep_out: list[Rect]

    @property
    def short(self) -> int:
        return self.canvas.short_side

    @property
    def stroke(self) -> int:
        return self.sketch.px(max(1.0, self.short * 0.007))

    def colour(self, alpha: int = 235) -> RGBA:
        return (*self.rng.choice(self.theme.accents), alpha)

    def place(self, w: float, h: float, within: Rect | None = None, tries: int = 40) -> Rect | None:
        """A seeded spot for a w x h shape inside `within` (the canvas), clear of keep-out and
        of the shapes already drawn; the spot is claimed."""
        area = within or self.canvas
        if w >= area.w or h >= area.h:
            return None
        for _ in range(tries):
            x, y = self.rng.uniform(area.x0, area.x1 - w), self.rng.uniform(area.y0, area.y1 - h)
            spot = Rect(round(x), round(y), round(x + w), round(y + h))
            if free_of(spot, self.keep_out):
                return self.claim(spot)
        return None

    def claim(self, rect: Rect) -> Rect:
        """Keep later shapes out of `rect` (shapes overlapping each other look messy)."""
        self.keep_out.append(rect)
        return rect

    def ellipse(self, rect: Rect, colour: RGBA, *, outline: bool | None = None) -> None:
        if self.theme.outline_only if outline is None else outline:
            self.sketch.draw.ellipse(self.sketch.box(rect), outline=colour, width=self.stroke)
        else:
            self.sketch.draw.ellipse(self.sketch.box(rect), fill=colour)

    def polygon(
        self, points: Sequence[Point], colour: RGBA, *, outline: bool | None = None
    ) -> None:
        scaled = self.sketch.points(points)
        if self.theme.outline_only if outline is None else outline:
            self.sketch.draw.line(
                [*scaled, scaled[0]], fill=colour, width=self.stroke, joint="curve"
            )
        else:
            self.sketch.draw.polygon(scaled, fill=colour)

    def line(self, points: Sequence[Point], colour: RGBA, width: int | None = None) -> None:
        scaled = self.sketch.points(points)
        self.sketch.draw.line(scaled, fill=colour, width=width or self.stroke, joint="curve")


def rotate(points: list[Point], angle: float, cx: float, cy: float) -> list[Point]:
    cos, sin = math.cos(angle), math.sin(angle)
    return [(cx + x * cos - y * sin, cy + x * sin + y * cos) for x, y in points]


def star_points(
    cx: float, cy: float, outer: float, inner: float, tips: int, turn: float
) -> list[Point]:
    points = []
    for i in range(tips * 2):
        radius = outer if i % 2 == 0 else inner
        angle = turn + math.pi * i / tips
        points.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return points


def corners(d: Decor) -> None:
    """Quarter circles, triangles or rings in two opposite corners."""
    c = d.canvas
    for corner in d.rng.choice([((c.x0, c.y0), (c.x1, c.y1)), ((c.x1, c.y0), (c.x0, c.y1))]):
        (cx, cy), size = corner, d.short * d.rng.uniform(0.16, 0.3)
        sx, sy = (1 if cx == c.x0 else -1), (1 if cy == c.y0 else -1)
        while size >= d.short * 0.06:
            square = Rect(*_ordered(cx, cy, cx + sx * size, cy + sy * size))
            if free_of(square, d.keep_out):
                d.claim(square)
                break
            size *= 0.8
        else:
            continue
        kind, colour = d.rng.choice(["quarter", "triangle", "rings"]), d.colour()
        if kind == "triangle":
            d.polygon([(cx, cy), (cx + sx * size, cy), (cx, cy + sy * size)], colour)
            continue
        rings, outline = ([1.0], None) if kind == "quarter" else ([1.0, 0.72, 0.44], True)
        for share in rings:
            r = size * share
            d.ellipse(Rect(*_ordered(cx - r, cy - r, cx + r, cy + r)), colour, outline=outline)


def _ordered(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
    return (round(min(x0, x1)), round(min(y0, y1)), round(max(x0, x1)), round(max(y0, y1)))


def circles(d: Decor) -> None:
    """A few circles of different sizes in free space."""
    for _ in range(d.rng.randint(2, 5)):
        r = d.short * d.rng.uniform(0.03, 0.1)
        spot = d.place(2 * r, 2 * r)
        if spot:
            d.ellipse(spot, d.colour(d.rng.randint(170, 235)))


def confetti(d: Decor) -> None:
    """Small scattered squares, dots and triangles."""
    for _ in range(d.rng.randint(18, 45)):
        s = d.short * d.rng.uniform(0.008, 0.02)
        spot = d.place(2 * s, 2 * s, tries=6)
        if spot is None:
            continue
        kind, colour = d.rng.choice(["bar", "dot", "triangle"]), d.colour()
        if kind == "dot":
            d.ellipse(spot.inset(round(s * 0.3)), colour, outline=False)
            continue
        shape = [(-s, -s * 0.4), (s, -s * 0.4), (s, s * 0.4), (-s, s * 0.4)]
        if kind == "triangle":
            shape = [(0, -s), (s, s * 0.8), (-s, s * 0.8)]
        d.polygon(rotate(shape, d.rng.uniform(0, math.pi), spot.cx, spot.cy), colour, outline=False)


def stripes(d: Decor) -> None:
    """A band of diagonal stripes along one edge (or part of it)."""
    c, t = d.canvas, round(d.short * d.rng.uniform(0.035, 0.055))
    edges = ["top", "bottom", "left", "right"]
    d.rng.shuffle(edges)
    length = d.rng.choice([1.0, 0.4])
    for edge in edges:
        span = round((c.w if edge in ("top", "bottom") else c.h) * length)
        band = {
            "top": Rect(c.x0, c.y0, c.x0 + span, c.y0 + t),
            "bottom": Rect(c.x1 - span, c.y1 - t, c.x1, c.y1),
            "left": Rect(c.x0, c.y1 - span, c.x0 + t, c.y1),
            "right": Rect(c.x1 - t, c.y0, c.x1, c.y0 + span),
        }[edge]
        if free_of(band, d.keep_out):
            _stripe_band(d, band, edge in ("top", "bottom"))
            d.claim(band)
            return


def _stripe_band(d: Decor, band: Rect, horizontal: bool) -> None:
    colour, t = d.colour(), band.h if horizontal else band.w
    step = max(4, round(t * 1.2))
    start, end = (band.x0, band.x1) if horizontal else (band.y0, band.y1)
    for p in range(start - t, end, step):
        q = min(p + step // 2, end)
        if horizontal:
            shape = [(max(p, start), band.y1), (q, band.y1), (q + t, band.y0), (p + t, band.y0)]
        else:
            shape = [(band.x0, max(p, start)), (band.x0, q), (band.x1, q + t), (band.x1, p + t)]
        d.polygon(shape, colour, outline=False)


def dots(d: Decor) -> None:
    """A small halftone patch of dots."""
    cols, rows, gap = (
        d.rng.randint(4, 7),
        d.rng.randint(3, 6),
        d.short * d.rng.uniform(0.022, 0.035),
    )
    spot = d.place(cols * gap, rows * gap)
    if spot is None:
        return
    colour, r = d.colour(), gap * 0.2
    for i in range(cols):
        for j in range(rows):
            x, y = spot.x0 + (i + 0.5) * gap, spot.y0 + (j + 0.5) * gap
            d.ellipse(
                Rect(round(x - r), round(y - r), round(x + r), round(y + r)), colour, outline=False
            )


def frame(d: Decor) -> None:
    """A thin border inset from the edge, when no text comes that close."""
    inset = round(d.short * d.rng.uniform(0.02, 0.035))
    rect = d.canvas.inset(inset)
    inner = rect.inset(round(d.short * 0.012))
    if all(inner.contains(k) for k in d.keep_out):
        radius = d.sketch.px(d.short * d.rng.choice([0.0, 0.02]))
        d.sketch.draw.rounded_rectangle(
            d.sketch.box(rect), radius, outline=d.colour(220), width=d.stroke
        )
