"""Where the hands of a clock face point, for the time the request gives.

"a wall clock showing quarter to seven", "画一个挂钟，时间是三点整": renderers draw clocks
at ten past ten whatever the prompt says, and a small planner writes "the hands show
3 o'clock" at best. The hands' positions follow from the time by arithmetic, so they are
written out for the renderer ("hour hand pointing at 3", "minute hand pointing at 12") and
a model detail about the hands that says otherwise is dropped. A digital clock has no hands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imagent.agent.numbers import read_numbers
from imagent.agent.rules.spans import has_cjk

# A clock face as a thing drawn: not the "clock" of "4 o'clock", not the verb "watches".
_FACE = re.compile(
    r"(?<!o['’])(?<!o['’]\s)\bclocks?\b|\bclock\s*(?:face|tower)\b|\bwristwatch(?:es)?\b"
    r"|\btimepiece\b|\bwatch\s*face\b|\b(?:a|an|the|my|his|her|their|our|this|that|pocket"
    r"|wrist|smart|gold|golden|silver|vintage|old|antique|dive|diver's)\s+watch(?:es)?\b"
    r"|钟|表盘|手表|腕表|怀表",
    re.IGNORECASE,
)
_NO_HANDS = re.compile(r"\bdigital\b|\bLED\b|\bLCD\b|数字|电子", re.IGNORECASE)
_HANDS = re.compile(
    r"\b(?:hour|minute|second|clock|watch)\s+hands?\b|时针|分针|指针", re.IGNORECASE
)

_H = r"(?<!\d)(?P<h>[01]?\d|2[0-3])"  # 0-23: a 24-hour time is read modulo 12
# After an hour given as "N past/to H", nothing that makes H a count ("5 to 10 people").
_SAID_AS_A_TIME = r"(?=\s*(?:o['’]?\s*clock|[ap]\.?m\b|in\s+the|at\s+night|[,.;:!?)]|$))"
_EN_TIMES = (
    (re.compile(rf"\b{_H}\s*o['’]?\s*clock\b", re.I), lambda h, m: (h, 0)),
    (re.compile(rf"\b{_H}:(?P<m>[0-5]\d)\b"), lambda h, m: (h, m)),
    (re.compile(rf"\bhalf\s+past\s+{_H}\b", re.I), lambda h, m: (h, 30)),
    (re.compile(rf"\b(?:a\s+)?quarter\s+past\s+{_H}\b", re.I), lambda h, m: (h, 15)),
    (re.compile(rf"\b(?:a\s+)?quarter\s+(?:to|till|of)\s+{_H}\b", re.I), lambda h, m: (h - 1, 45)),
    (
        re.compile(rf"\b(?P<m>[1-5]?\d)\s+(?:minutes\s+)?past\s+{_H}\b{_SAID_AS_A_TIME}", re.I),
        lambda h, m: (h, m),
    ),
    (
        re.compile(
            rf"\b(?P<m>[1-5]?\d)\s+(?:minutes\s+)?(?:to|till)\s+{_H}\b{_SAID_AS_A_TIME}", re.I
        ),
        lambda h, m: (h - 1, 60 - m),
    ),
    (re.compile(r"\b(?:noon|midday|midnight)\b", re.I), lambda h, m: (12, 0)),
)
_ZH_TIMES = (
    (re.compile(rf"差(?P<m>\d{{1,2}})分{_H}点"), lambda h, m: (h - 1, 60 - m)),
    (re.compile(rf"差1刻{_H}点"), lambda h, m: (h - 1, 45)),
    (re.compile(rf"{_H}点(?:钟)?(?:整|钟)"), lambda h, m: (h, 0)),
    (re.compile(rf"{_H}点半"), lambda h, m: (h, 30)),
    (re.compile(rf"{_H}点(?:1|一)刻"), lambda h, m: (h, 15)),
    (re.compile(rf"{_H}点3刻"), lambda h, m: (h, 45)),
    (re.compile(rf"{_H}点(?:零)?(?P<m>[0-5]?\d)(?:分)?"), lambda h, m: (h, m)),
    (re.compile(rf"{_H}[:：](?P<m>[0-5]\d)"), lambda h, m: (h, m)),
    # A bare "3点" only where it is said as a time ("可爱一点的闹钟" is "a bit cuter").
    (
        re.compile(
            rf"(?:上午|下午|早上|晚上|凌晨|中午|傍晚|时间是|时间为|显示|指向|指着)\s*{_H}点(?![\d半])"
        ),
        lambda h, m: (h, 0),
    ),
)


@dataclass(frozen=True)
class Time:
    hour: int  # 1..12
    minute: int  # 0..59


def clock_time(prompt: str) -> Time | None:
    """The time a clock face in `prompt` shows, or None (no clock face, no time, digital)."""
    if not _FACE.search(prompt) or _NO_HANDS.search(prompt):
        return None
    text = read_numbers(prompt).text
    for pattern, time in _ZH_TIMES if has_cjk(prompt) else _EN_TIMES:
        if found := pattern.search(text):
            groups = found.groupdict()
            hour, minute = time(int(groups.get("h") or 12), int(groups.get("m") or 0))
            return Time((hour - 1) % 12 + 1, minute)
    return None


def hands(time: Time, *, chinese: bool) -> list[str]:
    """Where the hour and the minute hand point at `time`."""
    following = time.hour % 12 + 1
    mark = time.minute // 5 or 12
    if chinese:
        hour = (
            f"时针指向{time.hour}"
            if time.minute == 0
            else f"时针在{time.hour}和{following}{'正中间' if 25 <= time.minute <= 35 else '之间'}"
            + ("，靠近" + str(following) if time.minute >= 40 else "")
        )
        minute = (
            f"分针指向{mark}"
            if time.minute % 5 == 0
            else f"分针指向第{time.minute}分钟的刻度，在{mark}和{mark % 12 + 1}之间"
        )
        return [hour, minute]
    hour = (
        f"hour hand pointing at {time.hour}"
        if time.minute == 0
        else f"hour hand {'halfway ' if 25 <= time.minute <= 35 else ''}between {time.hour}"
        f" and {following}" + (f", close to {following}" if time.minute >= 40 else "")
    )
    minute = (
        f"minute hand pointing at {mark}"
        if time.minute % 5 == 0
        else f"minute hand at the {time.minute}-minute mark, between {mark} and {mark % 12 + 1}"
    )
    return [hour, minute]


def about_hands(detail: str) -> bool:
    """Whether a model's detail says where a clock's hands point (ours replace it)."""
    return bool(_HANDS.search(detail))
