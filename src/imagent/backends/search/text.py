"""Snippet text as providers send it (HTML highlights, entities) made plain."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


def plain_text(value: object, *, markup: bool = True) -> str:
    """`value` with runs of spaces collapsed; with `markup` (snippets the API sends as HTML,
    such as highlighted excerpts) also without tags and with entities decoded.

    Only markup is removed: every word of the snippet stays, whatever it says, because it is
    data for the agent to read and cite, never something to obey or to censor here.
    """
    if not isinstance(value, str):
        return ""
    text = html.unescape(_TAG.sub("", value)) if markup else value
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.splitlines()).strip()


def as_int(value: object) -> int | None:
    """A width or height as an int, or None ("1920", 1920.0 and 1920 all work)."""
    try:
        number = int(float(str(value)))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
