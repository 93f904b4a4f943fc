"""Cues that a phrase needs a lookup or the user's memory, in English and Chinese.

These are candidates the planner weighs: a search gap the model proposes is kept only when
the request has a lookup cue, and a memory gap only when its phrase refers to the user.
"""

from __future__ import annotations

import re

from imagent.agent.rules.ages import age_spans

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
# Words that end a first-person noun phrase: "my bike" of "my bike against a brick wall".
_NOT_IN_A_NAME = (
    r"(?:and|or|with|in|on|at|for|to|of|but|a|an|the|against|from|by|into|onto|over|under"
    r"|near|beside|behind|is|are|was|were|that|which|who)\b"
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
    r"|(?<=还是|就用)那个(?:风格|样式|配色|颜色|字体|色调)"
    r"|老样子|我(?:们)?(?:的|家)(?:狗|猫|宠物|女儿|儿子|孩子|妈妈|爸爸|公司|品牌|店|咖啡店|团队|乐队|Logo|logo)"
    r"|我(?:女儿|儿子|妈|爸|老婆|老公|奶奶|爷爷|外婆|外公|姥姥|姥爷)"
    r"|(?<=给)(?:奶奶|爷爷|外婆|外公|姥姥|姥爷|老妈|老爸)"
    r"|我家的?(?:(?![做画给用把帮设配，,。])[\u4e00-\u9fff]){1,3}"
    r"|我(?:们)?(?:常用|平时|最喜欢)的[^，,。]{1,8}"
    # A first-person noun phrase ("my running club's next meetup", "our supper club"),
    r"|\b(?:my|our)\s+(?:(?!" + _NOT_IN_A_NAME + r")[\w'’-]+\s+){0,3}"
    r"(?!" + _NOT_IN_A_NAME + r")[\w'’-]+"
    # the user themself ("a portrait of me"), a taste ("the colours I like"), and something
    # made before ("another card like the one last week"),
    r"|\b(?:portrait|picture|drawing|photo|caricature|sketch|cartoon|painting)\s+of\s+(?:me|myself|us)\b"
    r"|\bthe\s+(?:[\w-]+\s+)?[\w-]+\s+(?:I|we)\s+(?:usually\s+|always\s+|really\s+)?"
    r"(?:like|love|prefer|use|wear|eat)\b"
    r"|\b(?:like|as)\s+the\s+one\s+(?:from\s+)?(?:last\s+(?:time|week|month)|yesterday|before|earlier)"
    # something made or decided before ("the banner from before", "the colours we picked"),
    r"|\bthe\s+(?:[\w'-]+\s+){0,2}?[\w'-]+\s+(?:from\s+(?:before|last\s+time|yesterday|earlier)"
    r"|(?:we|the\s+team|our\s+team|everyone)\s+(?:made|did|drew|designed|changed|picked|chose"
    r"|decided(?:\s+on)?|agreed(?:\s+on)?|settled\s+on|voted\s+(?:for|on)|discussed|planned)"
    r"(?:\s+(?:it\s+to|yesterday|last\s+\w+|before))?)"
    # what the user does ("in line with what I eat"),
    r"|\b(?:what|how|where|when)\s+(?:I|we)\s+(?:usually\s+|always\s+|normally\s+)?\w+"
    # and the same in Chinese ("上次那张海报的样式", "我们昨天定的那个配色", "我公司的logo配色").
    r"|(?:上次|上回|之前|以前)(?:那张|那个|的)?(?:(?![做用画改给在写把，,。])[\u4e00-\u9fffA-Za-z]){1,8}"
    r"|我们?(?:昨天|上次|之前)?定的(?:那个)?(?:(?![做用画改给在写把，,。])[\u4e00-\u9fff]){1,6}"
    r"|我们?(?:公司|家|店)的(?:(?![做用画改给在写把，,。])[\u4e00-\u9fffA-Za-z]){1,8}",
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
    """Phrases naming a fact that must be looked up: "tomorrow's weather in Hangzhou", "the
    age she turns on Sunday" (of someone named, born when the request does not say)."""
    return [m.group(0).strip() for m in _SEARCH_SPANS.finditer(prompt)] + age_spans(prompt)


_PLACE_NAME = r"(?:\s+(?:in|of|on|at)\s+(?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)?"
_KNOWLEDGE_SPANS = re.compile(
    # A question in the request: "what happens to an iron nail left in the rain".
    r"\b(?:what|which|who|where|why)\b(?!\s+(?:I|we|you|my|our)\b)(?:(?!\s-\s)[^.?!,;:—]){3,80}"
    # Someone or something the request only describes: "whoever was just named captain".
    r"|\b(?:whoever|whichever)\b(?![^.?!,;:]*\byou\b)(?:(?!\s-\s)[^.?!,;:—]){3,80}"
    # A thing named by a superlative: "the tallest mountain in Africa".
    r"|\bthe\s+(?:[\w-]+\s+)?(?:largest|biggest|tallest|longest|highest|deepest|smallest|oldest"
    r"|fastest|hottest|coldest|brightest|most\s+[\w-]+)\s+[\w-]+"
    r"(?:\s+(?!(?:in|of|on|at|and|with|for)\b)[\w-]+)?" + _PLACE_NAME +
    # A thing named by what it does: "the river that flows through Cairo",
    # "the flag of the country whose capital is Ottawa", "the gas plants take in for …".
    r"|\bthe\s+[\w-]+(?:\s+of\s+the\s+[\w-]+)?\s+(?:that|which|whose|who)\s+[^,.;:—]{3,60}"
    r"|\bthe\s+(?:gas|element|planet|animal|bird|plant|metal|colou?r|organ|bone|country|city"
    r"|river|ocean|sea|language|instrument)\s+(?!(?:that|which|whose|who|of|in|on|at|and|with)\b)"
    r"[a-z]+\s+[a-z][^,.;:—]{2,50}"
    r"|[\u4e00-\u9fff]{0,10}(?:是什么|是哪|什么样|会怎样|之后的样子|后的样子|最大的|最高的|最长的|最深的"
    r"|流入的|所在的|首都是)[\u4e00-\u9fff]{0,10}"
    # What something looks like after time or an event: "an ice cube left on a sunny
    # windowsill for an hour", "a parked car the morning after a heavy snowfall", "a candle
    # that's burned all night", "a glass of milk that a toddler just knocked over".
    r"|\b(?:an?|the)\s+(?:[\w-]+\s+){0,3}?(?:left|kept|sitting|lying|placed|forgotten)\s+"
    r"[^,.;]{2,40}?\s+(?:for|all|over)\s+(?:an?|one|\d+|a\s+few|several|the)\s+"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|night|day|summer|winter)"
    r"|\b(?:an?|the|(?:a\s+)?pair\s+of)\s+(?:[\w-]+\s+){0,4}?(?:the\s+(?:morning|day|night)\s+)?"
    r"(?:right\s+|just\s+)?after"
    r"\s+(?:an?\s+|the\s+)?[^,.;]{3,50}"
    r"|\b(?:an?|the)\s+(?:[\w-]+\s+){0,3}?that(?:'s|s|\s+has|\s+had)?\s+(?:been\s+)?"
    r"(?:burn(?:ed|t)|melted|rotted|rusted|dried|wilted|grown|aged|faded|run)\b[^,.;]{0,30}"
    r"|\b(?:an?|the)\s+(?:[\w-]+\s+){0,3}?that\s+(?:an?|the)\s+\w+\s+just\s+\w+(?:ed|t)\b"
    r"(?:\s+(?:over|up|down|out))?"
    r"|放了[\u4e00-\u9fff]{1,6}的[\u4e00-\u9fff]{1,4}|被[\u4e00-\u9fff]{1,8}的[\u4e00-\u9fff]{1,4}"
    r"|只剩[\d]+\s*[%％][\u4e00-\u9fff]{0,6}",
    re.IGNORECASE,
)


def knowledge_spans(prompt: str) -> list[str]:
    """Phrases that ask what general knowledge answers: a question, a thing named by a
    superlative or by what it does. Candidates only: the model answers them, or says it
    does not know."""
    return [m.group(0).strip() for m in _KNOWLEDGE_SPANS.finditer(prompt)]
