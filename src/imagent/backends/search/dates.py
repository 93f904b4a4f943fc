"""Dates as sources write them, normalised to YYYY-MM-DD (or None when there is no day).

Providers send ISO 8601 (`2026-11-25T08:00:00Z`), RFC 2822 (`Tue, 25 Nov 2026 08:00:00 GMT`),
prose (`November 25, 2026`, `25 Nov 2026`, `2026年11月25日`) and relative ages (`3 days ago`).
The calendar date is kept as the source wrote it: a time zone never moves it to another day.
A date without a day (`2026-11`) is not completed with a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_tz

MONTHS = {  # month names and abbreviations, lower case, to 1-12
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")
_CJK = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_FIRST = re.compile(
    r"^(?:\w+,?\s+)?([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"
)
_DAY_FIRST = re.compile(
    r"^(?:\w+,?\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b"
)
_AGO = re.compile(
    r"^(?:about\s+|an?\s+)?(\d+|an?|one)?\s*(minute|min|hour|day|week|month|year)s?\s+ago$", re.I
)
_UNITS_DAYS = {"minute": 0, "min": 0, "hour": 0, "day": 1, "week": 7, "month": 30, "year": 365}


def normalise_date(value: str | None, today: date | None = None) -> str | None:
    """`value` as YYYY-MM-DD, or None when it names no calendar day."""
    if not value or not value.strip():
        return None
    text = value.strip()
    for parse in (_iso, _cjk, _rfc2822, _prose):
        found = parse(text)
        if found is not None:
            return found.isoformat()
    relative = _relative(text, today or datetime.now(UTC).date())
    return relative.isoformat() if relative else None


def calendar_day(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day (Feb 30)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(text: str) -> date | None:
    match = _ISO.match(text)
    return calendar_day(*(int(g) for g in match.groups())) if match else None


def _cjk(text: str) -> date | None:
    match = _CJK.search(text)
    return calendar_day(*(int(g) for g in match.groups())) if match else None


def _rfc2822(text: str) -> date | None:
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}", text):
        return None
    parsed = parsedate_tz(text)
    return calendar_day(parsed[0], parsed[1], parsed[2]) if parsed else None


def _prose(text: str) -> date | None:
    if match := _MONTH_FIRST.match(text):
        month_name, day, year = match.groups()
    elif match := _DAY_FIRST.match(text):
        day, month_name, year = match.groups()
    else:
        return None
    month = MONTHS.get(month_name.lower())
    return calendar_day(int(year), month, int(day)) if month else None


def _relative(text: str, today: date) -> date | None:
    lowered = text.lower()
    if lowered in ("today", "just now"):
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    match = _AGO.match(lowered)
    if not match:
        return None
    count_text, unit = match.groups()
    count = int(count_text) if count_text and count_text.isdigit() else 1
    return today - timedelta(days=count * _UNITS_DAYS[unit])
