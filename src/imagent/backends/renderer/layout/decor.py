"""Choosing and painting decoration: which motifs a seed gets, behind or in front of surfaces."""

from __future__ import annotations

import random
from collections.abc import Callable

from PIL import Image

from imagent.backends.renderer.layout.background import Sketch, roughen
from imagent.backends.renderer.layout.geometry import Rect
from imagent.backends.renderer.layout.motifs import (
    Decor,
    circles,
    confetti,
    corners,
    dots,
    frame,
    stripes,
)
from imagent.backends.renderer.layout.regions import Layout
from imagent.backends.renderer.layout.scenery import (
    bands,
    doodles,
    leaves,
    sparkles,
    stars,
    sun,
    waves,
)
from imagent.backends.renderer.layout.themes import Theme

MOTIFS: dict[str, Callable[[Decor], None]] = {
    "corners": corners,
    "circles": circles,
    "confetti": confetti,
    "stripes": stripes,
    "dots": dots,
    "frame": frame,
    "sun": sun,
    "waves": waves,
    "leaves": leaves,
    "sparkles": sparkles,
    "stars": stars,
    "doodles": doodles,
    "bands": bands,
}
# Small motifs that may sit on top of panels (beside the text, never on it).
FRONT_MOTIFS = ("confetti", "sparkles", "stars", "doodles", "dots", "leaves")


def _art(d: Decor, spot: Rect) -> None:
    """One large composition in the space a layout kept free."""
    if "sun" in d.theme.motifs:
        sun(d, within=spot)
        return
    for _ in range(d.rng.randint(3, 6)):
        r = spot.short_side * d.rng.uniform(0.12, 0.32)
        place = d.place(2 * r, 2 * r, within=spot, tries=10)
        if place:
            d.ellipse(place, d.colour(d.rng.randint(180, 240)))


def _paint(canvas: Image.Image, d: Decor, names: list[str], art: Rect | None) -> None:
    if art is not None:
        _art(d, art)
    for name in names:
        MOTIFS[name](d)
    if d.theme.texture == "chalk":
        roughen(d.sketch, d.rng)
    d.sketch.onto(canvas)


def paint_back(canvas: Image.Image, layout: Layout, theme: Theme, seed: int) -> None:
    """The seed's motifs, under cards and panels."""
    rng = random.Random(f"decor:{seed}")
    decor = Decor(Sketch(canvas.size), layout.canvas, theme, rng, layout.keep_out())
    count = min(len(theme.motifs), rng.randint(2, 3))
    _paint(canvas, decor, rng.sample(theme.motifs, count), layout.art)


def paint_front(canvas: Image.Image, layout: Layout, theme: Theme, seed: int) -> None:
    """A small motif over panels (which hide what is behind them), beside their text."""
    if not layout.panels:
        return
    rng = random.Random(f"front:{seed}")
    choices = [m for m in theme.motifs if m in FRONT_MOTIFS] or ["confetti"]
    decor = Decor(Sketch(canvas.size), layout.canvas, theme, rng, layout.keep_out())
    _paint(canvas, decor, [rng.choice(choices)], None)
