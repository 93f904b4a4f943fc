"""Themes: the palette, texture, fonts and motifs a spec's words ask for.

A theme is chosen from keywords in the spec's style, subject, brief and prompt (in that
order of authority); colour words and hex codes then override its palette, and every ink
is checked for contrast against the surfaces it will sit on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from imagent.backends.renderer.layout.colors import (
    RGB,
    ColourHints,
    contrast,
    find_colour_hints,
    luminance,
    mix,
    readable,
    visible,
)
from imagent.core.types import GenerationSpec

Texture = Literal["none", "chalk", "grain", "paper", "smudge", "grid"]
Emphasis = Literal["small", "normal", "large"]


@dataclass(frozen=True)
class Theme:
    """Everything about the look of an image that is not layout."""

    name: str
    background: RGB
    background_end: RGB  # the far end of a gradient; equal to `background` for a flat fill
    ink: RGB
    accents: tuple[RGB, RGB, RGB]
    surface: RGB  # fill of cards, panels and item boxes
    border: RGB  # outline of cards and panels
    texture: Texture = "none"
    headline_font: str = "sans-bold"
    body_font: str = "sans"
    motifs: tuple[str, ...] = ("corners", "circles", "confetti", "stripes", "dots", "frame")
    outline_only: bool = False  # shapes drawn as strokes (chalk, marker), never filled
    glow: bool = False  # a soft halo behind headlines (neon)
    shadow: bool = False  # a hard offset shadow behind headlines (retro print)

    @property
    def backgrounds(self) -> tuple[RGB, RGB]:
        return (self.background, self.background_end)


_CHALK: RGB = (242, 242, 232)

THEMES: dict[str, Theme] = {
    "poster": Theme(
        "poster", (250, 244, 232), (244, 234, 214), (22, 24, 38),
        ((230, 57, 70), (29, 53, 87), (244, 162, 97)), (255, 252, 245), (29, 53, 87),
    ),
    "chalkboard": Theme(
        "chalkboard", (36, 64, 50), (30, 56, 44), _CHALK,
        ((246, 226, 140), (160, 210, 235), (240, 170, 190)), (36, 64, 50), _CHALK,
        texture="chalk", motifs=("doodles", "stars", "frame", "corners"), outline_only=True,
    ),
    "whiteboard": Theme(
        "whiteboard", (250, 250, 248), (243, 244, 244), (22, 40, 120),
        ((205, 40, 40), (30, 130, 60), (22, 40, 120)), (250, 250, 248), (22, 40, 120),
        texture="smudge", motifs=("doodles", "stars", "frame"), outline_only=True,
    ),
    "neon": Theme(
        "neon", (14, 10, 34), (32, 12, 58), (255, 255, 255),
        ((255, 46, 170), (0, 235, 255), (255, 230, 60)), (26, 20, 56), (0, 235, 255),
        texture="grid", motifs=("sparkles", "circles", "frame", "corners"),
        outline_only=True, glow=True,
    ),
    "sunset": Theme(
        "sunset", (255, 206, 130), (246, 128, 96), (58, 18, 42),
        ((214, 60, 90), (120, 40, 100), (255, 236, 180)), (255, 240, 214), (120, 40, 100),
        motifs=("sun", "stripes", "circles", "corners"),
    ),
    "ocean": Theme(
        "ocean", (12, 64, 112), (18, 112, 150), (255, 255, 255),
        ((120, 222, 232), (255, 214, 130), (70, 160, 210)), (16, 80, 128), (120, 222, 232),
        motifs=("waves", "circles", "dots", "confetti"),
    ),
    "forest": Theme(
        "forest", (28, 68, 44), (42, 92, 58), (246, 240, 218),
        ((164, 204, 92), (232, 190, 90), (110, 160, 90)), (34, 80, 52), (164, 204, 92),
        motifs=("leaves", "circles", "dots", "corners"),
    ),
    "pastel": Theme(
        "pastel", (253, 236, 240), (240, 232, 252), (70, 56, 96),
        ((170, 214, 240), (196, 232, 200), (255, 214, 170)), (255, 250, 252), (200, 170, 220),
        motifs=("circles", "confetti", "dots", "corners"),
    ),
    "minimal": Theme(
        "minimal", (255, 255, 255), (255, 255, 255), (17, 17, 17),
        ((17, 17, 17), (200, 200, 200), (230, 57, 70)), (250, 250, 250), (17, 17, 17),
        motifs=("frame", "dots"),
    ),
    "retro": Theme(
        "retro", (244, 230, 200), (236, 216, 178), (60, 38, 28),
        ((214, 104, 48), (48, 118, 112), (232, 178, 56)), (250, 240, 218), (60, 38, 28),
        texture="grain", headline_font="serif-bold", motifs=("sun", "stripes", "corners"),
        shadow=True,
    ),
    "paper": Theme(
        "paper", (198, 162, 118), (186, 148, 104), (36, 26, 18),
        ((120, 72, 40), (246, 240, 228), (70, 90, 60)), (232, 214, 184), (80, 56, 36),
        texture="paper", headline_font="serif-bold", motifs=("stripes", "dots", "corners"),
    ),
    "corporate": Theme(
        "corporate", (255, 255, 255), (240, 245, 250), (18, 38, 68),
        ((0, 92, 170), (0, 160, 200), (220, 230, 242)), (246, 249, 252), (0, 92, 170),
        motifs=("bands", "dots", "corners"),
    ),
}  # fmt: skip

# Keywords per theme; the poster theme is the default and has none.
_KEYWORDS: dict[str, str] = {
    "chalkboard": r"chalk\w*|blackboard|black board|slate board",
    "whiteboard": r"whiteboard|white board|dry[- ]erase|marker board",
    "neon": r"neon|night\w*|cyberpunk|synthwave|glow\w*|arcade|club",
    "sunset": r"sunset|sunrise|warm|autumn|dusk|summer|tropical",
    "ocean": r"ocean|sea|beach|marine|underwater|water|wave\w*|nautical|aqua\w*",
    "forest": r"forest|nature|natural|leaf|leaves|garden\w*|eco\w*|plants?|trees?|jungle",
    "pastel": r"pastel|soft|cute|baby|kawaii|gentle",
    "minimal": r"minimal\w*|clean|simple|plain|modern|swiss",
    "retro": r"retro|vintage|70s|80s|old[- ]school|classic|antique",
    "paper": r"paper|kraft|cardboard|craft|parchment|handmade",
    "corporate": r"corporate|business|professional|office|finance|enterprise|report",
}
_THEME_WORDS = {
    name: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for name, words in _KEYWORDS.items()
}
_LARGE = re.compile(
    r"\b(?:large|larger|big|bigger|huge|giant|enormous|massive|oversized|written large"
    r"|fill(?:s|ing)? the (?:canvas|image|page|poster|frame))\b",
    re.IGNORECASE,
)
_SMALL = re.compile(r"\b(?:small|smaller|tiny|modest|subtle|little|discreet)\b", re.IGNORECASE)


def spec_texts(spec: GenerationSpec) -> list[str]:
    """The spec's descriptive fields, most authoritative first."""
    return [spec.style, spec.subject, spec.brief, spec.prompt]


def choose_theme(spec: GenerationSpec) -> Theme:
    """The theme whose keyword appears earliest in the most authoritative field."""
    for text in spec_texts(spec):
        found = [(m.start(), name) for name, rx in _THEME_WORDS.items() if (m := rx.search(text))]
        if found:
            return THEMES[min(found)[1]]
    return THEMES["poster"]


def headline_emphasis(spec: GenerationSpec) -> Emphasis:
    """How big the request wants the headline: "written large" fills the canvas."""
    for text in (spec.style, spec.brief, spec.prompt):
        large, small = _LARGE.search(text), _SMALL.search(text)
        if large or small:
            if large and small:
                return "large" if large.start() < small.start() else "small"
            return "large" if large else "small"
    return "normal"


def colour_hints(spec: GenerationSpec) -> ColourHints:
    """Colours named in the style (bare colours there mean the background), then the rest."""
    hints = ColourHints()
    find_colour_hints(spec.style, hints, bare_is_background=True)
    for text in (spec.prompt, spec.brief):
        find_colour_hints(text, hints, bare_is_background=False)
    return hints


def _with_background(theme: Theme, background: RGB) -> Theme:
    """Swap the background, keeping the theme's gradient direction and its surfaces' relation."""
    darker = luminance(theme.background_end) < luminance(theme.background)
    towards = (0, 0, 0) if darker else (255, 255, 255)
    flat = theme.background_end == theme.background
    end = background if flat else mix(background, towards, 0.12)
    surface = theme.surface
    if theme.surface == theme.background or contrast(surface, background) < 1.15:
        surface = background
    return replace(theme, background=background, background_end=end, surface=surface)


def apply_hints(theme: Theme, hints: ColourHints) -> Theme:
    """Override the palette with the colours the spec names."""
    if hints.background is not None:
        theme = _with_background(theme, hints.background)
    if hints.ink is not None:
        theme = replace(theme, ink=hints.ink)
    if hints.accents:
        accents = (*hints.accents[:3], *theme.accents)[:3]
        theme = replace(theme, accents=(accents[0], accents[1], accents[2]))
    return theme


def settle_contrast(theme: Theme) -> Theme:
    """Make the ink readable on the background and the accents visible.

    Text on cards and panels gets its own ink at paint time (see `paint.ink_for`), since a
    light card on a dark background cannot share one ink with it.
    """
    ink = readable(theme.ink, theme.backgrounds)
    a, b, c = (visible(accent, theme.background) for accent in theme.accents)
    border = visible(theme.border, theme.surface, 2.0)
    return replace(theme, ink=ink, accents=(a, b, c), border=border)


def resolve_theme(spec: GenerationSpec) -> Theme:
    """The theme for a spec: keywords pick it, colour words override it, contrast is ensured."""
    return settle_contrast(apply_hints(choose_theme(spec), colour_hints(spec)))
