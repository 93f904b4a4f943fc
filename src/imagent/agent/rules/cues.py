"""Cues that a phrase needs a lookup or the user's memory, in English and Chinese.

These are candidates the planner weighs: a search gap the model proposes is kept only when
the request has a lookup cue, and a memory gap only when its phrase refers to the user.
"""

from __future__ import annotations

import re

_SEARCH_CUES = re.compile(
    r"\b(?:today|tomorrow|tonight|yesterday|this\s+(?:week|weekend|month|year|season)|latest|current"
    r"|recent|upcoming|now|live|newest|new|won|winner|winning|champion|record|price|stock|shares?"
    r"|weather|forecast|score|release[ds]?|trailer|cast|logo|jersey|news|election|box[\s-]+office"
    r"|chart|album|episode|season|patch|version|closing|opened|20\d\d|19\d\d)\b"
    r"|今天|明天|今晚|昨天|本周|这周|周末|最新|最近|目前|现在|冠军|获胜|赢了|夺冠|股价|收盘|天气|预报"
    r"|比分|上映|票房|新专辑|新歌|首播|集数|版本",
    re.IGNORECASE,
)
_MEMORY_CUES = re.compile(
    r"\b(?:my|our|mine|me|we|us|last\s+time|usual|usually|same\s+as|again|previous|before"
    r"|like\s+always|as\s+always|favou?rite|yesterday's|earlier)\b"
    r"|我的|我们的|我家|咱们|上次|上回|之前|以前|老样子|平时|一样|常用|最喜欢|我女儿|我儿子|我妈|我爸|我老婆|我老公",
    re.IGNORECASE,
)
_MEMORY_SPANS = re.compile(
    r"(?:the\s+)?same\s+(?:[\w-]+\s+){0,2}as\s+(?:my|our|the)\s+(?:last|previous|earlier|other)\s+[\w-]+"
    r"|(?:the\s+)?same\s+(?:[\w-]+\s+){0,2}as\s+(?:last\s+time|before|yesterday)"
    r"|(?:(?:just\s+)?(?:as|like)\s+(?:last\s+time|before|always|usual))"
    r"|\b(?:my|our)\s+(?:usual|favou?rite|regular|signature|go-to)\s+[\w-]+"
    r"|\b(?:my|our)\s+(?:brand|house)(?:\s+(?:colou?rs?|palette|style|fonts?|logo|look))?"
    r"|\bthe\s+(?:logo|poster|design|card|mascot|character)\s+we\s+(?:made|did|drew|designed)"
    r"(?:\s+(?:yesterday|last\s+\w+|earlier|before))?"
    r"|\b(?:my|our)\s+(?:dog|cat|pet|puppy|kitten|wife|husband|partner|son|daughter|kids?"
    r"|children|family|mum|mom|dad|mother|father|grandma|grandpa|sister|brother|baby|house"
    r"|car|company|logo|product|shop|store|caf[eé]|bakery|restaurant|team|band|mascot|club"
    r"|school|garden|office)\b"
    r"|(?:和|跟|像)?上次(?:那张|那个|一样|的)?[^，,。]{0,8}?(?:一样|风格|那样)"
    r"|老样子|我(?:们)?(?:的|家)(?:狗|猫|宠物|女儿|儿子|孩子|妈妈|爸爸|公司|品牌|店|咖啡店|团队|乐队|Logo|logo)"
    r"|我(?:女儿|儿子|妈|爸|老婆|老公|奶奶|爷爷)"
    r"|我(?:们)?(?:常用|平时|最喜欢)的[^，,。]{1,8}",
    re.IGNORECASE,
)
_STOP = r"(?!(?:on|with|and|as|for|in|at|of|to|but|or)\b)"
_NOUNS = rf"(?:{_STOP}[\w-]+\s+){{0,2}}{_STOP}[\w-]+"  # up to three words, no preposition
_PLACE = r"(?:\s+(?:in|for|at|of)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)?"
_SEARCH_SPANS = re.compile(
    r"\b(?:today's|tomorrow's|tonight's|yesterday's|this\s+week(?:end)?'s|next\s+week's"
    r"|the\s+(?:latest|current|newest|upcoming|most\s+recent))\s+"
    + _NOUNS
    + _PLACE
    + r"|\bthe\s+(?:[\w-]+\s+){1,3}?(?:that|who|which)\s+won\s+(?:[\w-]+\s+){0,4}?"
    r"(?:at|in)\s+(?:the\s+)?\d{4}(?:\s+[A-Z][\w-]*)*"
    r"|\b(?:the\s+)?(?:winner|champion)s?\s+of\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?\d{4}(?:\s+[A-Z][\w-]*)*"
    r"|[\u4e00-\u9fff]{0,6}(?:明天|今天|今晚|本周末|这周末|下周)的?[\u4e00-\u9fff]{0,4}(?:天气|预报|比分|赛程)"
)


def has_search_cue(text: str) -> bool:
    return bool(_SEARCH_CUES.search(text))


def has_memory_cue(text: str) -> bool:
    return bool(_MEMORY_CUES.search(text))


def memory_spans(prompt: str) -> list[str]:
    """Phrases that only this user's memory can fill: "same style as my last poster"."""
    return [m.group(0).strip() for m in _MEMORY_SPANS.finditer(prompt)]


def search_spans(prompt: str) -> list[str]:
    """Phrases naming a fact that must be looked up: "tomorrow's weather in Hangzhou"."""
    return [m.group(0).strip() for m in _SEARCH_SPANS.finditer(prompt)]
