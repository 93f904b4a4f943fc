"""The day a request's words point at: "tomorrow", "后天", "this Sunday", "last Friday",
"December 1st", "12月1日". Search queries carry that day as sources write it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from imagent.backends.search.dates import MONTHS, calendar_day

_WEEKDAYS = {
    **{n: i for i, n in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    "saturday": 5,
    "sunday": 6,
}
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_ISO = re.compile(r"\b(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}\b", re.IGNORECASE)
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b", re.IGNORECASE)
_ZH_DATE = re.compile(r"(?:(?P<m>\d{1,2})\s*月\s*)(?P<d>\d{1,2})\s*[日号]")
_RELATIVE = (
    (re.compile(r"\bday\s+after\s+tomorrow\b|后天", re.I), 2),
    (re.compile(r"\bday\s+before\s+yesterday\b|前天", re.I), -2),
    (re.compile(r"\btomorrow\b|明天|明日", re.I), 1),
    (re.compile(r"\byesterday\b|昨天|昨日", re.I), -1),
    (re.compile(r"\btoday\b|\btonight\b|今天|今晚|今日", re.I), 0),
)
_WEEKDAY = re.compile(
    r"\b(?P<which>last|this|next|coming|on)?\s*(?P<name>monday|tuesday|wednesday|thursday"
    r"|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_ZH_WEEKDAY = re.compile(r"(?P<which>上|下|本|这)?(?:周|星期|礼拜)(?P<name>[一二三四五六日天])")


def target_day(text: str, today: date) -> date | None:
    """The day `text` names, relative to `today`; None when it names none."""
    explicit = _explicit(text, today)
    if explicit is not None:
        return explicit
    relative = relative_day(text, today)
    if relative is not None:
        return relative
    found = _WEEKDAY.search(text)
    if found:
        which = (found["which"] or "").lower()
        return _weekday(today, _WEEKDAYS[found["name"].lower()], which == "last", which == "next")
    zh = _ZH_WEEKDAY.search(text)
    if zh:
        return _weekday(today, _ZH_WEEKDAYS[zh["name"]], zh["which"] == "上", zh["which"] == "下")
    return None


def relative_day(text: str, today: date) -> date | None:
    """The day "tomorrow", "yesterday", 后天… in `text` mean when said on `today`."""
    for pattern, shift in _RELATIVE:
        if pattern.search(text):
            return today + timedelta(days=shift)
    return None


def _explicit(text: str, today: date) -> date | None:
    found = _ISO.search(text)
    if found:
        return calendar_day(int(found["y"]), int(found["m"]), int(found["d"]))
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        found = pattern.search(text)
        if found:
            return calendar_day(today.year, MONTHS[found["month"].lower()], int(found["day"]))
    found = _ZH_DATE.search(text)
    if found:
        return calendar_day(today.year, int(found["m"]), int(found["d"]))
    return None


def _weekday(today: date, weekday: int, last: bool, next_week: bool) -> date:
    """The named weekday: the coming one (today included), the one before, or next week's."""
    if last:
        back = (today.weekday() - weekday) % 7 or 7
        return today - timedelta(days=back)
    ahead = (weekday - today.weekday()) % 7
    if next_week:
        ahead += 7 if ahead < 7 - today.weekday() else 0
    return today + timedelta(days=ahead)
