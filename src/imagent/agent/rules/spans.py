"""Finding a phrase of the request again, whatever its case and spacing."""

from __future__ import annotations

import re

CUE = (
    r"(?:(?:the\s+)?(?:result|answer|product|sum|total|value|solution|difference|quotient)"
    r"\s+(?:of|to|for|between)\s+|what\s+is\s+|what's\s+|how\s+much\s+is\s+|compute\s+"
    r"|calculate\s+|solve\s+|work\s+out\s+)"
)


def span_pattern(span: str) -> str:
    """A regex for `span` as written, whatever the spacing between its words."""
    return (
        r"\s*".join(re.escape(word) for word in span.split())
        if has_cjk(span)
        else (r"\s+".join(re.escape(word) for word in span.split()))
    )


def has_cjk(text: str) -> bool:
    """Whether `text` has a Chinese (CJK) character."""
    return bool(re.search(r"[\u3400-\u9fff]", text))


def find_span(text: str, span: str) -> re.Match[str] | None:
    """Where `span` is in `text` (case and spacing aside), or None."""
    if not span.strip():
        return None
    return re.search(span_pattern(span), text, re.IGNORECASE)


def contains_span(text: str, span: str) -> bool:
    """Whether `text` really contains `span` (case and spacing aside)."""
    return find_span(text, span) is not None


def widen_span(prompt: str, span: str) -> str:
    """Include a cue the span leaves out: "128 and 256" → "the sum of 128 and 256"."""
    match = re.search(CUE + span_pattern(span), prompt, re.IGNORECASE)
    return match.group(0) if match else span


_OPEN_QUOTE = r"[\"'“‘「『《]?"
_CLOSE_QUOTE = r"[\"'”’」』》]?"
_CJK_CHARS = r"[\u4e00-\u9fff]"


def widen_lookup(prompt: str, span: str) -> str:
    """A looked-up phrase with the question it belongs to, when the span is only the thing
    asked about: "Lanterns Over Kessel" → "the director of 'Lanterns Over Kessel'",
    "金穗奖" → "金穗奖的最佳女主角". The answer then goes beside the question, and the name
    itself is never replaced."""
    pattern = span_pattern(span)
    english = (
        r"\bthe\s+(?:[\w'’-]+\s+){0,3}?(?:of|for|behind|in)\s+(?:[\w'’-]+\s+){0,3}?"
        + _OPEN_QUOTE
        + pattern
        + _CLOSE_QUOTE
    )
    chinese = (
        _OPEN_QUOTE
        + pattern
        + _CLOSE_QUOTE
        + rf"{_CJK_CHARS}{{0,4}}?的{_CJK_CHARS}{{1,6}}?(?=[，。,.!！?？、；;\s]|$)"
    )
    for form in (english, chinese):
        match = re.search(form, prompt, re.IGNORECASE)
        if match and len(match.group(0).strip()) > len(span.strip()):
            return match.group(0).strip()
    return span


def replace_span(text: str, span: str, value: str) -> str:
    """Replace `span` (case-insensitive, flexible spacing) with `value` once."""
    return re.sub(span_pattern(span), lambda _: value, text, count=1, flags=re.IGNORECASE)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
