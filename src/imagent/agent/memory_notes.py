"""A note of a user's memory and what it is about: a line of their profile or one thing they
(or the assistant) said; whether it may say what a phrase means, whose thing it is about,
and what earlier request made the thing a phrase names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagent.agent import extract, rules
from imagent.memory.base import MemoryEntry

# A phrase pointing back to something earlier ("same as last time", "上次那张").
POINTS_BACK = re.compile(
    r"\b(?:last\s+time|before|earlier|previous|yesterday|again|we\s+(?:made|did|drew|designed|had)"
    r"|from\s+before|same|usual|redo|the\s+one)\b|上次|之前|以前|昨天|那张|那个|老样子|还是|再",
    re.IGNORECASE,
)
# Things an image request makes, which a later request may name ("our mascot").
MADE_THINGS = frozenset(
    [
        "card",
        "poster",
        "logo",
        "banner",
        "flyer",
        "mascot",
        "character",
        "icon",
        "sticker",
        "menu",
        "invitation",
        "avatar",
        "sign",
        "label",
        "cover",
        "wallpaper",
        "emblem",
        "badge",
        "comic",
        "thumbnail",
        "storyboard",
        "postcard",
        "packaging",
    ]
)
# Other nouns an image request starts with.
_IMAGE_NOUNS = frozenset(
    ["image", "picture", "illustration", "photo", "drawing", "portrait", "shot"]
)
# An image request as users write them: an imperative, or an image noun up front
# ("a thank-you card for Sam", "Banner: 'Spring Fair' …", "3-panel comic: …", "帮我画…").
REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:make|draw|create|design|generate|render|paint|can\s+you|could\s+you"
    r"|i\s+(?:need|want)|give\s+me)\b"
    r"|^\W*(?!(?:my|our|his|her|their|i|we)\b)(?:(?:a|an|the|one|some)\s+)?(?:[\w'-]+\s+){0,3}?(?:"
    + "|".join(sorted(MADE_THINGS | _IMAGE_NOUNS))
    # not a statement ("the badge has a fox on it") or another noun ("cover band")
    + r")s?\b(?!\s+(?:is|are|was|were|has|have|had|arrived|came|closed|band|shop|store"
    r"|book|artist|page)s?\b)"
    r"|^\W*(?:帮我|给我|请|画|做|设计|生成)",
    re.IGNORECASE,
)
# A taste the user keeps from request to request: its words, not what it was used on.
TASTE = re.compile(
    r"\b(?:style|styles|look|vibe|aesthetic|theme|colou?rs?|palette|fonts?|typeface|tones?)\b"
    r"|风格|样式|配色|颜色|色调|字体|色系",
    re.IGNORECASE,
)
# The user themself: "a portrait of me", "my avatar", "我的头像".
SELF = re.compile(
    r"\b(?:me|myself|my\s+(?:avatar|portrait|selfie|likeness|profile\s+pic(?:ture)?))\b"
    r"|我自己|我本人|我的(?:头像|肖像|画像|形象)|^我$",
    re.IGNORECASE,
)
# A phrase asking for one value of something, which the copied words are.
ASKS_A_VALUE = re.compile(
    r"\b(?:date|day|time|hour|place|spot|venue|address|location|name|number|price|age)s?\b"
    r"|日期|时间|地点|地址|名字|名称|价格|年龄",
    re.IGNORECASE,
)
# The user speaking of themself.
FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|im|my|me)\b|我", re.IGNORECASE)


@dataclass(frozen=True)
class Note:
    text: str
    entry: MemoryEntry


def lines(entry: MemoryEntry) -> list[str]:
    """A profile entry's `key: value` lines, or a message whole."""
    if entry.kind == "profile":
        return [line.strip() for line in entry.content.splitlines() if ":" in line]
    return [entry.content.strip()]


def may_define(text: str, entry: MemoryEntry, span: str, points_back: bool) -> bool:
    """A request is not a definition: one that repeats the phrase ("make a card in my usual
    style") only uses it, unless it also says what it is ("… my usual style is linocut");
    one for something else counts only when the phrase points back to an earlier request."""
    if not (entry.role == "user" and entry.kind == "message" and REQUEST.search(text)):
        return True
    if made_by(text, span):
        return True
    if rules.contains_span(text, span):
        pattern = rules.span_pattern(span) + r"\s*(?:is|are|was|were|=|:|-|叫|是)\s*\S"
        return re.search(pattern, text, re.IGNORECASE) is not None
    return points_back


def someone_elses(text: str, span: str) -> bool:
    """Whether a note is about someone else's thing of the kind "my bike" names ("my husband
    wants a drawing of his mountain bike") and not about the user's own."""
    noun = _own_noun(span)
    if noun is None:
        return False
    kind = rf"(?:[\w'’-]+\s+){{0,2}}{noun}"
    others = re.search(
        rf"\b(?:his|her|their|\w+'s|\w+’s)\s+{kind}"
        rf"|\b(?:he|she|they)\s+(?:has|have|had|owns?|got)\s+(?:an?\s+|the\s+)?{kind}",
        text,
        re.IGNORECASE,
    )
    return others is not None and re.search(rf"\b(?:my|our)\s+{kind}", text, re.I) is None


def made_by(request: str, span: str) -> bool:
    """Whether an earlier request made the thing the phrase names: "our mascot" is the one
    "Draw a mascot for my ramen shop: …" made. (A taste, "my usual style", is never made.)"""
    words = re.findall(r"[\w'’-]+", span.lower())
    if not words or TASTE.search(span) or words[-1] not in MADE_THINGS:
        return False
    return re.search(rf"\b{re.escape(words[-1])}s?\b", request, re.IGNORECASE) is not None


def thing_named(span: str) -> re.Pattern[str] | None:
    """The thing a first-person phrase names, as a pattern: "my bike" -> bike(s); "我家鹦鹉"
    -> 鹦鹉."""
    cjk = re.search(r"([\u3400-\u9fff]{2})$", span.strip())
    if cjk and re.match(r"\s*我", span):
        return re.compile(re.escape(cjk.group(1)))
    noun = _own_noun(span)
    return re.compile(rf"\b{noun}", re.IGNORECASE) if noun is not None else None


def _own_noun(span: str) -> str | None:
    """The last word of "my …" / "our …" as a pattern matching it and its plural."""
    mine = re.match(r"\s*(?:my|our)\s+(?:[\w'’-]+\s+){0,2}?([\w'’-]+)\s*$", span, re.IGNORECASE)
    if mine is None:
        return None
    return re.escape(extract.singular(mine.group(1).lower())) + r"(?:e?s)?\b"
