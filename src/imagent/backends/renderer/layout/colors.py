"""Colours: names and hex codes in free text, mixing, and WCAG contrast.

`find_colour_hints` reads phrases such as "white text on navy", "dark green chalkboard" or
"#1a2b3c" and says which colour is meant for the background, which for the ink, and which
are only accents. It is a small reader of common phrasings, not a parser of English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

NAMED_COLOURS: dict[str, RGB] = {
    "red": (210, 35, 42), "crimson": (180, 20, 50), "scarlet": (230, 36, 0),
    "maroon": (110, 20, 35), "burgundy": (120, 20, 45), "pink": (240, 130, 170),
    "hot pink": (240, 60, 150), "magenta": (220, 30, 160), "fuchsia": (220, 40, 180),
    "purple": (110, 50, 150), "violet": (140, 80, 200), "lavender": (200, 185, 235),
    "indigo": (60, 40, 130), "navy": (20, 35, 90), "navy blue": (20, 35, 90),
    "midnight blue": (20, 25, 70), "blue": (30, 90, 200), "royal blue": (40, 70, 190),
    "sky blue": (120, 190, 235), "teal": (0, 120, 125), "turquoise": (50, 200, 200),
    "cyan": (0, 200, 230), "aqua": (60, 220, 220), "mint": (170, 230, 200),
    "green": (40, 140, 70), "forest green": (30, 85, 45), "emerald": (20, 150, 90),
    "lime": (150, 210, 50), "olive": (110, 110, 40), "yellow": (250, 210, 40),
    "gold": (220, 170, 40), "golden": (220, 170, 40), "mustard": (210, 165, 40),
    "orange": (245, 130, 30), "amber": (245, 170, 30), "coral": (245, 115, 90),
    "peach": (250, 190, 150), "salmon": (240, 140, 120), "brown": (120, 75, 40),
    "chocolate": (90, 50, 25), "tan": (205, 170, 125), "beige": (235, 220, 190),
    "cream": (250, 243, 225), "ivory": (252, 248, 235), "khaki": (190, 175, 120),
    "white": WHITE, "black": (12, 12, 14), "grey": (128, 128, 128), "gray": (128, 128, 128),
    "silver": (190, 192, 198), "charcoal": (45, 48, 52), "slate": (70, 85, 100),
}  # fmt: skip

# How a modifier word moves a named colour: towards black or white, and how far.
_MODIFIERS: dict[str, tuple[RGB, float]] = {
    "dark": (BLACK, 0.45), "deep": (BLACK, 0.35), "light": (WHITE, 0.5),
    "pale": (WHITE, 0.6), "pastel": (WHITE, 0.55), "bright": (WHITE, 0.0), "vivid": (WHITE, 0.0),
}  # fmt: skip

_NAMES = "|".join(sorted((re.escape(n) for n in NAMED_COLOURS), key=len, reverse=True))
_MENTION = re.compile(
    rf"(?<![\w#])(?:(?P<mod>{'|'.join(_MODIFIERS)})[\s-]+)?(?P<name>{_NAMES})(?![\w-])"
    r"|(?P<hex>#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3}))(?![0-9a-fA-F])",
    re.IGNORECASE,
)
_INK_AFTER = re.compile(
    r"^[\s-]*(?:text|letters|lettering|font|ink|writing|words|type|typography|chalk|marker"
    r"|title|headline|numbers?|digits|caption)\b",
    re.IGNORECASE,
)
_BACKGROUND_AFTER = re.compile(
    r"^[\s-]*(?:background|backdrop|chalkboard|blackboard|board|paper|canvas|wall|poster"
    r"|card|banner|slide|page|sky|backgrounds?)\b",
    re.IGNORECASE,
)
_INK_BEFORE = re.compile(
    r"\b(?:text|letters|lettering|font|ink|writing|title|headline|written|printed|lettered)"
    r"(?:\s+(?:in|of|is|colou?red|set\s+in))?\s*[:=]?\s*$",
    re.IGNORECASE,
)
_BACKGROUND_BEFORE = re.compile(
    r"(?:\b(?:background|backdrop)(?:\s+(?:of|in|is|colou?red))?\s*[:=]?|\bon(?:\s+an?|\s+the)?)\s*$",
    re.IGNORECASE,
)


@dataclass
class ColourHints:
    """Colours the text asks for, sorted by what they colour."""

    background: RGB | None = None
    ink: RGB | None = None
    accents: list[RGB] = field(default_factory=list)


def parse_hex(code: str) -> RGB:
    """`#1a2b3c` or `#abc` to an RGB tuple."""
    digits = code.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _colour_of(match: re.Match[str]) -> RGB:
    if match["hex"]:
        return parse_hex(match["hex"])
    base = NAMED_COLOURS[match["name"].lower()]
    if match["mod"]:
        target, amount = _MODIFIERS[match["mod"].lower()]
        return mix(base, target, amount)
    return base


def find_colour_hints(text: str, hints: ColourHints, *, bare_is_background: bool) -> None:
    """Add the colours named in `text` to `hints`; colours already set are kept.

    A colour followed by "text"/"chalk"/... or preceded by "text in" colours the ink; one
    followed by "background"/"chalkboard"/... or preceded by "on" colours the background.
    A bare colour is the background where `bare_is_background` (the style field) and no
    background is set yet, else an accent.
    """
    for match in _MENTION.finditer(text):
        colour = _colour_of(match)
        before, after = text[max(0, match.start() - 40) : match.start()], text[match.end() :]
        if _INK_AFTER.match(after) or _INK_BEFORE.search(before):
            hints.ink = hints.ink or colour
        elif _BACKGROUND_AFTER.match(after) or _BACKGROUND_BEFORE.search(before):
            hints.background = hints.background or colour
        elif bare_is_background and hints.background is None:
            hints.background = colour
        else:
            hints.accents.append(colour)


def mix(a: RGB, b: RGB, amount: float) -> RGB:
    """The colour `amount` of the way from `a` to `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )


def luminance(colour: RGB) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1 (same) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(ink: RGB, surfaces: Sequence[RGB], minimum: float = 4.5) -> RGB:
    """`ink`, or the nearest shade of it that reaches `minimum` contrast on every surface.

    The ink keeps its hue where a small move towards white or black is enough; an ink on
    the wrong side of the surface flips to a near-white or near-black tinted with it
    (half-way greys read badly).
    """

    def worst(colour: RGB) -> float:
        return min(contrast(colour, s) for s in surfaces)

    if worst(ink) >= minimum:
        return ink
    target = max((WHITE, BLACK), key=worst)
    for step in range(1, 6):
        candidate = mix(ink, target, step / 10)
        if worst(candidate) >= minimum:
            return candidate
    tinted = mix(target, ink, 0.1)
    return tinted if worst(tinted) >= minimum else target


def visible(colour: RGB, surface: RGB, minimum: float = 1.4) -> RGB:
    """A decoration colour that stands out from `surface` at least a little."""
    return readable(colour, [surface], minimum)
