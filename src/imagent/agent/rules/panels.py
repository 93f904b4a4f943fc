"""How many images a request asks for: the panels of a comic, the steps of a how-to, the
frames of a storyboard, a set of banners ("a 4-panel comic", "六格漫画", "three banners")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagent.agent.numbers import read_numbers

_CELL = (
    r"(?P<noun>panels?|frames?|steps?|scenes?|shots?|cards?|banners?|posters?|stickers?|icons?"
    r"|slides?|pages?|squares?|boxes|cells?|parts?|stages?|images?|pictures?|variations?|versions?)"
)
_COUNT = re.compile(rf"\b(?P<n>\d{{1,2}})[\s-]*(?:-?\s*)?{_CELL}\b", re.IGNORECASE)
_GRID = re.compile(
    r"\b(?P<rows>\d)\s*[x×]\s*(?P<cols>\d)\s+(?:grid|panels?|squares?|cells?)\b", re.I
)
_ZH = re.compile(r"(?P<n>\d{1,2})\s*(?P<noun>格|幅|个?画面|个?镜头|帧|个?分镜|步|张|个步骤)")
# A count of things drawn together in one picture is not a set of images.
_INSIDE = re.compile(r"\b(?:with|showing|of|containing|holding|and)\s+$", re.IGNORECASE)
ROLE_BY_NOUN = {"panel": "panel", "frame": "panel", "scene": "panel", "shot": "panel",
                "step": "panel", "stage": "panel", "square": "panel", "cell": "panel",
                "box": "panel", "part": "panel"}  # fmt: skip
MAX_IMAGES = 12


@dataclass(frozen=True)
class ImageCount:
    """The request asks for `count` images, each a `noun` ("panel", "step", "banner")."""

    count: int
    noun: str
    span: str

    @property
    def role(self) -> str:
        return ROLE_BY_NOUN.get(self.noun, "image")


def _singular(noun: str) -> str:
    noun = noun.lower()
    return noun[:-2] if noun.endswith("xes") else noun[:-1] if noun.endswith("s") else noun


def image_count(prompt: str) -> ImageCount | None:
    """The number of images a request asks for, or None for one image."""
    reading = read_numbers(prompt)
    text = reading.text
    grid = _GRID.search(text)
    if grid:
        count = int(grid["rows"]) * int(grid["cols"])
        if 2 <= count <= MAX_IMAGES:
            return ImageCount(count, "square", reading.original_span(grid.start(), grid.end()))
    for match in _COUNT.finditer(text):
        count = int(match["n"])
        if not 2 <= count <= MAX_IMAGES or _INSIDE.search(text[: match.start()]):
            continue
        noun = _singular(match["noun"])
        if noun in (
            "card",
            "poster",
            "sticker",
            "icon",
            "slide",
            "page",
            "image",
            "picture",
            "variation",
            "version",
            "banner",
        ) and not _asks_for_a_set(text, match):
            continue
        return ImageCount(count, noun, reading.original_span(match.start(), match.end()))
    zh = _ZH.search(text)
    if zh and 2 <= int(zh["n"]) <= MAX_IMAGES:
        noun = {"步": "step", "个步骤": "step"}.get(zh["noun"], "panel")
        return ImageCount(int(zh["n"]), noun, reading.original_span(zh.start(), zh.end()))
    return None


def _asks_for_a_set(text: str, match: re.Match[str]) -> bool:
    """ "three banners for one launch" asks for a set; "a poster with 3 icons" does not."""
    before = text[: match.start()].rstrip().lower()
    return (
        not before
        or before.endswith(
            (
                "make",
                "draw",
                "create",
                "design",
                "generate",
                "need",
                "want",
                "give me",
                "render",
                ":",
            )
        )
        or bool(re.match(r"^(?:make|draw|create|design|generate)\b", text.strip(), re.I))
    )
