"""What a later note changes in something recalled from memory.

"The fair's been moved to April 19" turns "'Spring Fair' at Maple Hall, April 12" into
"'Spring Fair' at Maple Hall, April 19"; "swap the headband for a little chef's hat" turns
"a fox wearing a headband" into "a fox wearing a little chef's hat". A change is placed only
where it is unambiguous: one value of its kind in the change and exactly one, different,
in what was recalled. A change that cannot be placed is kept beside what it changes, newest
last, so nothing the user said is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from imagent.backends.search.dates import MONTHS

_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
_KINDS: dict[str, re.Pattern[str]] = {
    "date": re.compile(
        rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b"
        r"|\d{1,2}月\d{1,2}[日号]",
        re.IGNORECASE,
    ),
    "weekday": re.compile(
        r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|(?:周|星期|礼拜)[一二三四五六日天]",
        re.IGNORECASE,
    ),
    "time": re.compile(
        r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)|\b\d{1,2}:\d{2}\b"
        r"|(?:早上|上午|中午|下午|晚上)?\d{1,2}点(?:半|\d{1,2}分)?",
        re.IGNORECASE,
    ),
}
# A named place after "at" / "to" ("at Harbour Park", "to the Old Mill Bridge"); capitals
# are what tell a name, so this one is case-sensitive.
_PLACE = re.compile(
    r"\b(?:at|to|in)\s+(?:the\s+)?((?:[A-Z][\w'’-]*)(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*)"
)
_SWAPS = (
    re.compile(
        r"\b(?:swap|switch|replace|change|trade)\s+(?:out\s+)?(?:the|my|our|its|his|her|their)?\s*"
        r"(?P<old>[\w'’ -]{2,30}?)\s+(?:for|with|to|into)\s+(?:an?\s+|the\s+)?"
        r"(?P<new>[\w'’ -]{2,40}?)\s*(?=[,.;!?]|$|\s+(?:and|but|so|please)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"把(?P<old>[^，。,.；;]{1,10}?)(?:换成|改成|改为|换为)(?P<new>[^，。,.；;]{1,12})"),
)
# A note that renames something, and the names a text gives (quoted, or several capitalised
# words: "Paper Satellites", "The Velvet Static").
_RENAMED = re.compile(
    r"\b(?:renamed?|re-named?|changed\s+(?:our|its|the|my|his|her|their)\s+name|new\s+name"
    r"|now\s+called|goes\s+by)\b|改名|更名|改叫|新名字",
    re.IGNORECASE,
)
_NAMES = re.compile(
    r"[“\"‘「《]([^”\"’」》]{2,40})[”\"’」》]"
    r"|\b([A-Z][\w'’&-]*(?:\s+(?:&\s+)?[A-Z][\w'’&-]*)+)"
)

# A kind of value rather than a thing ("change the date to May 3").
_CATEGORY = re.compile(
    r"(?:the\s+)?(?:date|day|time|hour|place|venue|location|address|colou?rs?|name|title|size"
    r"|font|price|number)|日期|时间|地点|颜色|名字|标题|价格",
    re.IGNORECASE,
)
# Something the user gave up: "gone right off navy", "dropped the orange", "不要粉色了".
_GIVEN_UP = re.compile(
    r"\b(?:gone\s+(?:right\s+|totally\s+|completely\s+)?off|dropped|dropping|no\s+more"
    r"|not\s+into|(?:don't|do\s+not|no\s+longer)\s+(?:like|want|use))\s+(?:the\s+)?"
    r"(?P<what>[\w-]+(?:\s+(?!(?:from|of|in|on|at|for|and|or|to|now|any|anymore|either)\b)"
    r"[\w-]+)?)"
    r"|(?:不要|不用|不再用|去掉|不喜欢)(?P<zh>[\u4e00-\u9fff]{1,4}?)(?:了|色了|$)",
    re.IGNORECASE,
)


def given_up(note: str) -> list[str]:
    """What a note says the user gave up, word for word."""
    return [m.group("what") or m.group("zh") for m in _GIVEN_UP.finditer(note)]


def without(phrase: str, dropped: list[str]) -> str:
    """`phrase` less the list items that name something dropped ("mustard yellow, navy"
    without navy is "mustard yellow"); the phrase itself when nothing is dropped."""
    if not dropped:
        return phrase
    items = re.split(r"\s*(?:,|;|、|/|\band\b|和)\s*", phrase)
    gone = [i for i in items if any(d.lower() in i.lower() for d in dropped)]
    if not gone:
        return phrase
    return ", ".join(i for i in items if i and i not in gone)


@dataclass(frozen=True)
class Placed:
    texts: list[str]
    what: list[str]  # "April 12 -> April 19", for the trace


def place(recalled: list[str], change: str) -> Placed | None:
    """`recalled` with what `change` changes put in place, or None when nothing could be."""
    texts = list(recalled)
    what: list[str] = []
    for old, new in _swaps(change):
        texts, done = _replace_words(texts, old, new)
        if done:
            what.append(f"{old} -> {new}")
    renamed = _renamed(texts, change)
    if renamed is not None:
        texts, done = _replace_words(texts, *renamed)
        if done:
            what.append(f"{renamed[0]} -> {renamed[1]} (name)")
    for kind, find in _FINDERS.items():
        news = _distinct(find(change))
        if len(news) != 1:
            continue
        olds = _distinct(v for t in texts for v in find(t))
        if len(olds) == 1 and _norm(olds[0]) != _norm(news[0]):
            texts, done = _replace_words(texts, olds[0], news[0])
            if done:
                what.append(f"{olds[0]} -> {news[0]} ({kind})")
    return Placed(texts, what) if what else None


def _renamed(texts: list[str], change: str) -> tuple[str, str] | None:
    """(old name, new name) when `change` renames the one thing named in `texts`."""
    cue = _RENAMED.search(change)
    if cue is None:
        return None
    olds = _distinct(_names(" ; ".join(texts)))
    if len(olds) > 1:  # a school and its mascot: the name is the one the thing is called
        called = _distinct(_names(" ; ".join(_after_called(t) for t in texts)))
        olds = called[:1] if len(called) == 1 else olds
    said = " ".join(texts).lower()
    new = next((n for n in _names(change[cue.start() :]) if n.lower() not in said), None)
    if len(olds) != 1 or new is None:
        return None
    return olds[0], new


def _after_called(text: str) -> str:
    """What follows "called" / "named" / 叫 in `text` (the name a thing goes by), or ""."""
    m = re.search(r"\b(?:called|named)\s+|叫(?:做)?", text, re.IGNORECASE)
    return text[m.end() :] if m else ""


def _names(text: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _NAMES.finditer(text)]


def _swaps(change: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in _SWAPS:
        for m in pattern.finditer(change):
            old, new = m.group("old").strip(), m.group("new").strip()
            if _CATEGORY.fullmatch(old):
                continue  # "change the date to May 3" names a kind of value, not a thing
            if old and new and _norm(old) != _norm(new):
                found.append((old, new))
    return found


def _places(text: str) -> list[str]:
    """Named places in `text`, leaving out dates and days ("to April 19", "on Sunday")."""
    names = []
    for m in _PLACE.finditer(text):
        name = m.group(1)
        if any(p.match(text, m.start(1)) for p in _KINDS.values()):
            continue
        names.append(name)
    return names


# Each kind of value a change may move, and how to find it in a text.
_FINDERS: dict[str, Callable[[str], list[str]]] = {
    **{kind: pattern.findall for kind, pattern in _KINDS.items()},
    "place": _places,
}


def _replace_words(texts: list[str], old: str, new: str) -> tuple[list[str], bool]:
    pattern = re.compile(
        (r"(?<!\w)" if old[:1].isalnum() and old[:1].isascii() else "")
        + re.escape(old)
        + (r"(?!\w)" if old[-1:].isalnum() and old[-1:].isascii() else ""),
        re.IGNORECASE,
    )
    done = False
    out = []
    for text in texts:
        replaced, n = pattern.subn(lambda _m: new, text)
        done = done or n > 0
        out.append(replaced)
    return out, done


def _distinct(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(_norm(value), value)
    return list(seen.values())


def _norm(value: str) -> str:
    value = re.sub(r"\s+", " ", value.strip().lower())
    return re.sub(r"(day)s\b", r"\1", value)
