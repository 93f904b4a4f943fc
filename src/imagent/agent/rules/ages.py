"""Someone's age that the request does not give the means to work out.

"a birthday card for tennis legend Ilse Marr, with the age she turns on Sunday": the
request names a person but not when they were born, so the age is a lookup of a birth date
followed by a computation on the day the request is about. (With the birth year given,
"how old my dad, born in 1961, is this year" is plain arithmetic: `arithmetic._ages`.)
"""

from __future__ import annotations

import re
from datetime import date

from imagent.backends.search.dates import MONTHS

_ASKED = re.compile(
    r"\bhow\s+old\s+(?:[\w'’-]+\s+){0,4}?(?:is|are|was|turns?|be|gets?|becomes?)\b"
    r"(?:\s+(?:this|next|on|today|tomorrow|now)\b[^,.;:!?]{0,20})?"
    r"|\b(?:(?:her|his|their)\s+(?:new\s+)?age|the\s+age\s+(?:she|he|they)\s+(?:turns|is\s+turning"
    r"|will\s+be|is|reaches))\b(?:\s+(?:this|next|on|today|tomorrow|now)\b[^,.;:!?]{0,20})?"
    r"|[她他][^，,。；;！？]{0,8}?(?:几岁|多少岁)",
    re.IGNORECASE,
)
_BIRTH_GIVEN = re.compile(r"\bborn\b|\b(?:19|20)\d\d\b|出生|生于|\d{4}\s*年", re.IGNORECASE)
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_BIRTH = re.compile(
    r"\b(?:born|b\.)\s*(?:on\s+|in\s+)?(?:"
    rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.replace('month', 'm1')}\s+(?P<y1>\d{{4}})"
    rf"|{_MONTH.replace('month', 'm2')}\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2})"
    r"|(?P<y4>\d{4})\b)"
    r"|(?:生于|出生于)?\s*(?P<y5>\d{4})\s*年\s*(?:(?P<m5>\d{1,2})\s*月\s*(?:(?P<d5>\d{1,2})\s*日)?)?"
    r"\s*(?:出生|生)",
    re.IGNORECASE,
)
_BORN_ZH = re.compile(
    r"(?:生于|出生于)\s*(?P<y>\d{4})\s*年\s*(?:(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*日)?)?"
)


def age_spans(prompt: str) -> list[str]:
    """Phrases asking the age of someone the request names, where it gives no birth date or
    year (a source must tell when they were born)."""
    if _BIRTH_GIVEN.search(prompt) or not someone_named(prompt):
        return []
    return [m.group(0).strip() for m in _ASKED.finditer(prompt)]


def asks_age(span: str) -> bool:
    return bool(_ASKED.search(span))


def birth_date(text: str) -> tuple[int, int | None, int | None] | None:
    """The birth date a sentence states: (year, month, day), month and day when it says them."""
    found = _BIRTH.search(text)
    if found is not None:
        g = found.groupdict()
        if g["y1"]:
            return int(g["y1"]), MONTHS[g["m1"].lower()], int(g["d1"])
        if g["y2"]:
            return int(g["y2"]), MONTHS[g["m2"].lower()], int(g["d2"])
        if g["y3"]:
            return int(g["y3"]), int(g["m3"]), int(g["d3"])
        if g["y4"]:
            return int(g["y4"]), None, None
        return int(g["y5"]), _int(g["m5"]), _int(g["d5"])
    zh = _BORN_ZH.search(text)
    if zh is not None:
        return int(zh["y"]), _int(zh["m"]), _int(zh["d"])
    return None


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def age_on(born: tuple[int, int | None, int | None], day: date) -> int:
    """Completed years on `day`; with only a birth year, the age reached in that year."""
    year, month, day_of_month = born
    if month is None:
        return day.year - year
    before_birthday = (day.month, day.day) < (month, day_of_month or 1)
    return day.year - year - (1 if before_birthday else 0)


_TURNS = re.compile(r"\bturns?\b|\bturning\b|\bbe\b|\breaches\b|满", re.IGNORECASE)
_NAMED = re.compile(r"(?<!^)\b[A-Z][a-z][\w'’-]*|[\u3400-\u9fff]")
_THEIRS = re.compile(
    r"\b(?:my|our)\b|我的|我们|我家|我(?:妈|爸|女儿|儿子|老婆|老公|奶奶|爷爷)", re.IGNORECASE
)


def someone_named(prompt: str) -> bool:
    """Whether the request names someone a source could tell about, not the user's own people."""
    return bool(_NAMED.search(prompt)) and not _THEIRS.search(prompt)


def asked_age(
    span: str, born: tuple[int, int | None, int | None], today: date, day: date | None
) -> int:
    """The age a phrase asks for: the one reached at the next birthday for "turns" ("the age
    she turns on Sunday", "这周日满多少岁"), else the age on the day asked about (or today)."""
    year, month, day_of_month = born
    if _TURNS.search(span) and month is not None:
        birthday = date(today.year, month, day_of_month or 1)
        if birthday < today:
            birthday = date(today.year + 1, month, day_of_month or 1)
        return birthday.year - year
    return age_on(born, day or today)
