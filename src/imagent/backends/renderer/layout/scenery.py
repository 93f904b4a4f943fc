"""Theme-specific motifs: suns, waves, leaves, sparkles, chalk doodles and corporate bands."""

from __future__ import annotations

import math

from imagent.backends.renderer.layout.geometry import Rect, free_of
from imagent.backends.renderer.layout.motifs import Decor, Point, rotate, star_points


def sun(d: Decor, within: Rect | None = None) -> None:
    """A retro sun: a disc cut by horizontal bars, sunk into the bottom edge if it is free."""
    r = d.short * d.rng.uniform(0.15, 0.24)
    c = d.canvas
    sunk = Rect(round(c.cx - r), round(c.y1 - 1.3 * r), round(c.cx + r), round(c.y1 + 0.7 * r))
    if within is None and free_of(sunk, d.keep_out):
        spot: Rect | None = d.claim(sunk)
    else:
        spot = d.place(2 * r, 2 * r, within)
    if spot is None:
        return
    d.ellipse(spot, d.colour(240), outline=False)
    bar, box = max(2.0, r * 0.06), d.sketch.box
    for i in range(4):
        y = spot.cy + r * (0.15 + 0.2 * i)
        gap = Rect(spot.x0, round(y), spot.x1, round(y + bar * (1 + i * 0.5)))
        d.sketch.draw.rectangle(box(gap), fill=(0, 0, 0, 0))  # cut through: transparent


def waves(d: Decor) -> None:
    """Layered waves along the bottom, below the lowest text."""
    c = d.canvas
    lowest = max((k.y1 for k in d.keep_out), default=c.y0 + round(c.h * 0.6))
    room = c.y1 - lowest
    if room < d.short * 0.08:
        return
    height = min(room * 0.85, c.h * 0.3)
    d.claim(Rect(c.x0, round(c.y1 - height), c.x1, c.y1))
    wavelength = c.w / d.rng.uniform(1.2, 2.6)
    for i in range(3):
        base = c.y1 - height * (1 - i / 3) + height * 0.12
        amplitude, phase = height * 0.1, d.rng.uniform(0, 2 * math.pi)
        top = [
            (x, base + amplitude * math.sin(phase + 2 * math.pi * x / wavelength))
            for x in range(c.x0, c.x1 + 24, max(4, c.w // 60))
        ]
        d.polygon(
            [*top, (c.x1, c.y1), (c.x0, c.y1)],
            (*d.theme.accents[i % 3], 150 + 35 * i),
            outline=False,
        )


def leaves(d: Decor) -> None:
    """Leaf shapes with a midrib, scattered in free space."""
    for _ in range(d.rng.randint(3, 7)):
        length = d.short * d.rng.uniform(0.07, 0.15)
        spot = d.place(length, length)
        if spot is None:
            continue
        half: list[Point] = []
        for i in range(13):
            t = i / 12
            half.append((length * (t - 0.5), length * 0.22 * math.sin(math.pi * t)))
        outline = half + [(x, -y) for x, y in reversed(half)]
        angle = d.rng.uniform(0, 2 * math.pi)
        colour = d.colour(225)
        d.polygon(rotate(outline, angle, spot.cx, spot.cy), colour, outline=False)
        rib = rotate([(-length * 0.5, 0), (length * 0.45, 0)], angle, spot.cx, spot.cy)
        d.line(rib, (*d.theme.background, 200), width=d.sketch.px(max(1.0, length * 0.03)))


def sparkles(d: Decor) -> None:
    """Four-point sparkles, filled even on outline themes (they are light, not drawn)."""
    for _ in range(d.rng.randint(4, 9)):
        r = d.short * d.rng.uniform(0.015, 0.045)
        spot = d.place(2 * r, 2 * r)
        if spot:
            d.polygon(
                star_points(spot.cx, spot.cy, r, r * 0.22, 4, 0.0), d.colour(240), outline=False
            )


def stars(d: Decor) -> None:
    """Five-point stars, drawn as outlines on boards."""
    for _ in range(d.rng.randint(2, 5)):
        r = d.short * d.rng.uniform(0.025, 0.06)
        spot = d.place(2 * r, 2 * r)
        if spot:
            turn = d.rng.uniform(-0.3, 0.3)
            d.polygon(star_points(spot.cx, spot.cy, r, r * 0.45, 5, turn), d.colour(230))


def _squiggle(rect: Rect, turns: int) -> list[Point]:
    return [
        (rect.x0 + rect.w * i / 40, rect.cy + rect.h * 0.4 * math.sin(i / 40 * turns * 2 * math.pi))
        for i in range(41)
    ]


def _spiral(rect: Rect) -> list[Point]:
    r = rect.w / 2
    return [
        (rect.cx + r * t / 60 * math.cos(t / 6), rect.cy + r * t / 60 * math.sin(t / 6))
        for t in range(61)
    ]


def _arrow(rect: Rect, rising: bool) -> list[list[Point]]:
    start = (rect.x0, rect.y1 if rising else rect.y0)
    end = (rect.x1, rect.y0 if rising else rect.y1)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    head = rect.w * 0.25
    wings = [
        (end[0] - head * math.cos(angle + s), end[1] - head * math.sin(angle + s))
        for s in (0.5, -0.5)
    ]
    return [[start, end], [wings[0], end, wings[1]]]


def doodles(d: Decor) -> None:
    """Hand-drawn marks: squiggles, spirals and arrows."""
    for _ in range(d.rng.randint(2, 4)):
        size = d.short * d.rng.uniform(0.07, 0.14)
        kind = d.rng.choice(["squiggle", "spiral", "arrow"])
        spot = d.place(size, size * (0.3 if kind == "squiggle" else 1.0))
        if spot is None:
            continue
        colour = d.colour(230)
        if kind == "squiggle":
            d.line(_squiggle(spot, d.rng.randint(2, 4)), colour)
        elif kind == "spiral":
            d.line(_spiral(spot), colour)
        else:
            for stroke in _arrow(spot, d.rng.random() < 0.5):
                d.line(stroke, colour)


def bands(d: Decor) -> None:
    """A thick and a thin accent band along the top or bottom edge."""
    c = d.canvas
    thick, thin = round(d.short * 0.03), max(2, round(d.short * 0.01))
    for top in d.rng.sample([True, False], 2):
        y0 = c.y0 if top else c.y1 - thick - thin
        strip = Rect(c.x0, y0, c.x1, y0 + thick + thin)
        if free_of(strip, d.keep_out):
            wide, narrow = (
                (strip.top(thick), strip.below(y0 + thick))
                if top
                else (strip.below(y0 + thin), strip.top(thin))
            )
            d.sketch.draw.rectangle(d.sketch.box(wide), fill=(*d.theme.accents[0], 255))
            d.sketch.draw.rectangle(d.sketch.box(narrow), fill=(*d.theme.accents[1], 255))
            d.claim(strip)
            return
