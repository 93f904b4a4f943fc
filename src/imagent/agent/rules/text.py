"""The text a request wants shown, and the parts of it that are the user's own words.

Text the user wants shown is never rewritten: quoted text, and unquoted text after
says / reads / saying / labelled / titled (写着, 写有, 标题, 「…」, “…”), and listed items
with prices. A number inside such text ("OPEN 24/7", "1 + 1 = 2", "Q3 Results: revenue grew
12%") is the user's wording, not arithmetic; only a phrase that refers to a value without
giving it ("saying the result of 17 x 23") is a gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from imagent.agent.rules.spans import CUE, find_span, overlaps

_QUOTES = re.compile(
    r"\"([^\"]{1,300})\"|“([^”]{1,300})”|«([^»]{1,300})»|「([^」]{1,300})」|『([^』]{1,300})』"
    r"|‘([^’]{1,300})’|(?<![\w])'([^'\n]{1,300})'(?![\w])"
)
_SHOW_CUE = re.compile(
    r"\b(?:that\s+|which\s+)?(?:says|saying|reads"
    r"|reading(?!\s+(?:a|an|the|his|her|their|my|our|its|this|that|in|on|at|to|by|from|about"
    r"|with|under|glasses|books?|newspapers?|magazines?|quietly|aloud)\b)"
    r"|with\s+the\s+(?:text|words|caption|slogan|message|title|headline)"
    r"|(?:text|caption|slogan|message|headline|title|tagline)\s*(?::|=|is)"
    r"|titled|entitled|labell?ed|captioned|spelling(?:\s+out)?|printed\s+with|written\s+on\s+it"
    r"|inscribed(?:\s+with)?)\s*:?\s+",
    re.IGNORECASE,
)
_ZH_SHOW_CUE = re.compile(
    r"(?:上面写着|上面写有|上面印着|写着|写有|写上(?![去来])|上面写|印着|印有|标题是|标题为|题为|标语是|内容是"
    r"|文字是)[:：]?"
)
_ENUMERATION = re.compile(
    r"^(?:with\s+)?(?:the|its|their|each|every|all|his|her|our|my)\b", re.IGNORECASE
)
# Where unquoted shown text ends: punctuation, or a phrase about how it looks or where it goes.
_VISUAL = (
    r"(?:red|orange|yellow|green|blue|purple|violet|pink|white|black|grey|gray|gold|golden"
    r"|silver|neon|bold|italic|cursive|script|serif|sans|letters?|lettering|font|type|ink"
    r"|chalk|marker|crayon|capitals|caps|uppercase|lowercase|big|large|small|tiny|huge"
    r"|glowing|handwriting|handwritten|calligraphy|the\s+(?:top|bottom|middle|centre|center"
    r"|corner|window|front|back|background|sky)|a\s+\w+\s+(?:background|banner|ribbon|font))"
)
_SHOWN_END = re.compile(
    rf"(?:[,;!?。，；！？\n]|\.(?=\s|$)|\s+-\s+|\s+—\s+|\s+(?:in|on|with|using|at|across|above|below|under"
    rf"|over|along|hanging|written|drawn|painted|printed)\s+(?:\w+\s+){{0,2}}?{_VISUAL}\b)",
    re.IGNORECASE,
)
_PRICE_ITEM = re.compile(
    r"(?P<item>[A-Za-z][A-Za-z' -]{0,30}?)\s*(?:[:=-]\s*|\s)(?P<price>[$€£¥]\s?\d+(?:[.,]\d{1,2})?)",
)
_OFFER = re.compile(
    r"\bbuy\s+\w+\s*,?\s*get\s+\w+(?:\s+free)?|\b\w+\s+for\s+the\s+price\s+of\s+\w+"
    r"|买\S{1,2}送\S{1,2}|\b24\s*/\s*7\b|\b\d{1,2}\s*/\s*7\b",
    re.IGNORECASE,
)
_HOUR = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_MINUTES = r"(?:half|(?:a\s+)?quarter|five|ten|twenty|twenty-five|\d{1,2}\s+minutes)"
_ZH_HOUR = r"(?:\d{1,2}|[一二两三四五六七八九十]|十[一二])"
_ZH_MINUTES = r"(?:\d{1,2}|[一二三四五六七八九十]+)"
# A time: "7:45 pm", "three o'clock", "quarter to seven", "twenty past eight" (not "ages
# 3 to 5"), "三点整", "十点十分", "下午3点" (not "可爱一点", not "3点5" of "3.5").
_TIME = re.compile(
    rf"\b\d{{1,2}}[:.]\d{{2}}\s*(?:am|pm)?\b|\b{_HOUR}\s*(?:am|pm|o['’]?\s*clock)\b"
    rf"|\b{_MINUTES}\s+(?:past|to|till)\s+{_HOUR}\b"
    rf"|(?:差(?:一刻|{_ZH_MINUTES}分))?{_ZH_HOUR}点(?:钟|整|半|[一三]刻|零?{_ZH_MINUTES}分)"
    rf"|(?:上午|下午|早上|晚上|凌晨|中午|傍晚){_ZH_HOUR}点|差(?:一刻|{_ZH_MINUTES}分){_ZH_HOUR}点",
    re.I,
)


@dataclass(frozen=True)
class Shown:
    """A piece of text the request wants drawn, where it is, and how it was found."""

    text: str
    start: int
    end: int
    how: str  # "quoted", "cue", "price list"


def quoted_text(prompt: str) -> list[str]:
    """Literal text the request quotes: "OPEN", “Sale”, 「新年快乐」."""
    return [t.text for t in quoted(prompt)]


def quoted(prompt: str) -> list[Shown]:
    found = []
    for match in _QUOTES.finditer(prompt):
        group = next(i for i, g in enumerate(match.groups(), start=1) if g)
        found.append(Shown(match.group(group), match.start(group), match.end(group), "quoted"))
    return found


def inside_quotes(prompt: str, span: str) -> bool:
    """Whether `span` is (part of) text the request quotes: the user's words to show."""
    found = find_span(prompt, span)
    return found is not None and any(
        q.start <= found.start() and found.end() <= q.end for q in quoted(prompt)
    )


def _after_cue(prompt: str, start: int) -> Shown | None:
    """The unquoted text from `start` to where it ends."""
    rest = prompt[start:]
    if rest.lstrip()[:1] in "\"“«「『‘'":
        return None  # quoted: read as quoted text
    end = _SHOWN_END.search(rest)
    body = rest[: end.start()] if end else rest
    body = _before_the_thing(body.strip())
    if not body or len(body) > 120:
        return None
    lead = len(rest) - len(rest.lstrip())
    return Shown(body, start + lead, start + lead + len(body), "cue")


# "一张写着新年快乐的红色海报": the text ends before 的 + the thing it is written on.
_ZH_THING = re.compile(
    r"的[\u4e00-\u9fff]{0,6}?(?:海报|卡片|贺卡|牌子|招牌|横幅|标语|蛋糕|T恤|衣服|杯子|黑板|白板|纸|旗子?"
    r"|旗帜|气球|封面|书|本子|木牌|牌匾|屏幕|广告牌|明信片|徽章|标志|图|画|照片|信封|礼物|盒子|包装"
    r"|灯箱|门牌|路牌|奖杯|奖牌|邮票|贴纸|海报图|插画|漫画|logo|LOGO)$"
)


def _before_the_thing(body: str) -> str:
    cut = _ZH_THING.search(body)
    return body[: cut.start()] if cut else body


def _after_cues(prompt: str) -> Iterator[tuple[re.Match[str], Shown]]:
    """Each show cue with the unquoted text after it."""
    for match in [*_SHOW_CUE.finditer(prompt), *_ZH_SHOW_CUE.finditer(prompt)]:
        shown = _after_cue(prompt, match.end())
        if shown is not None:
            yield match, shown


def cued(prompt: str) -> list[Shown]:
    """Unquoted text after a cue: "a card saying we love you", "写着新年快乐"."""
    found = []
    for match, shown in _after_cues(prompt):
        labels = match.group(0).lower().startswith(("label", "caption"))
        if labels and _ENUMERATION.match(shown.text):
            continue  # "labelled with the parts of a flower" names what to label, not the text
        if names_a_value(shown.text):
            continue  # "写上她的名字": the name is to be found, not the words drawn
        found.append(shown)
    return found


_VALUE_NOUNS_ZH = (
    r"名字|名称|姓名|日期|时间|数字|数据|比分|价格|股价|收盘价|开盘价|歌名|片名|书名|队名|成绩"
    r"|票房|分数|得分|播放量|销量|人数|温度|气温|天气|排名|名次|冠军|答案|结果|公司|导演|作者|主演"
    r"|演员|歌手|地点|地址|年龄|岁数|多少岁|几岁了?|多大了?"
)
_NAMES_A_VALUE = re.compile(
    rf"^(?:[他她它其][们]?的?|具体的?|实际的?|最新的?|真实的?|官方的?|当天的?|今天的?|明天的?)?"
    rf"[\u4e00-\u9fff]{{0,10}}?(?:{_VALUE_NOUNS_ZH})$"
    r"|^(?:its|their|his|her|the\s+\w+(?:'s|’s)|the\s+(?:actual|real|current|latest|final|exact"
    r"|official|right|correct))\b[\w\s'’-]{0,40}?\b(?:name|title|date|score|price|number|time"
    r"|result|total|record|winner|answer)s?$",
    re.IGNORECASE,
)


def names_a_value(text: str) -> bool:
    """Whether unquoted shown text describes a value instead of giving it: "她的名字",
    "上映日期", "their actual score" are to be found out, not drawn as those words."""
    return bool(_NAMES_A_VALUE.match(text.strip()))


_WITH_VALUE = re.compile(r"\b(?:with|showing|displaying|giving)\s+", re.IGNORECASE)


def value_descriptions(prompt: str) -> list[Shown]:
    """Unquoted text the request wants shown that describes a value to find out ("写上她刚发的
    新专辑的名字", "with its title", "showing the final score"): drawn only once a value has
    taken its place."""
    after = [shown for _, shown in _after_cues(prompt)]
    after += [s for m in _WITH_VALUE.finditer(prompt) if (s := _after_cue(prompt, m.end()))]
    return apart([s for s in after if names_a_value(s.text)])


def asks_for_a_value(prompt: str) -> bool:
    """Whether the request asks to show a value it only describes ("写上他正在拍的新剧的名字",
    "with the winner's name"): something must be found out before it can be drawn."""
    return any(names_a_value(shown.text) for _, shown in _after_cues(prompt))


def price_list(prompt: str) -> list[Shown]:
    """Items listed with prices ("coffee $3, tea $2.50, bagel $4"), when there are two or more."""
    items = [
        Shown(
            f"{m['item'].strip()} {m['price'].replace(' ', '')}", m.start(), m.end(), "price list"
        )
        for m in _PRICE_ITEM.finditer(prompt)
        if m["item"].strip().lower() not in ("a", "an", "the", "for", "at", "is", "and")
    ]
    return items if len(items) >= 2 else []


def shown_text(prompt: str) -> list[Shown]:
    """Everything the request wants shown, in order, without duplicates or overlaps."""
    return apart([*quoted(prompt), *cued(prompt), *price_list(prompt)])


def apart(pieces: list[Shown]) -> list[Shown]:
    """The pieces in order, each one dropped that overlaps one kept before it."""
    kept: list[Shown] = []
    for piece in sorted(pieces, key=lambda s: s.start):
        if not any(overlaps((piece.start, piece.end), (k.start, k.end)) for k in kept):
            kept.append(piece)
    return kept


def refers_to_a_value(text: str) -> bool:
    """Whether shown text names a value without giving it ("the result of 17 x 23")."""
    return bool(re.search(CUE, text, re.IGNORECASE)) or bool(
        re.search(
            r"\bhow\s+(?:old|many|much|far|long|tall)\b|多少|几岁|几|结果|答案|周长|面积|总价"
            r"|合计|总共|总计|等于|体积|斜边|对角线|\b(?:the|its)\s+(?:perimeter|area|volume"
            r"|circumference|hypotenuse|diagonal)\b",
            text,
            re.IGNORECASE,
        )
    )


def protected_ranges(prompt: str) -> list[tuple[int, int]]:
    """Where a number is the user's own wording, not something to compute: shown text that
    gives its value, offers, times, and titles."""
    ranges = [(s.start, s.end) for s in shown_text(prompt) if not refers_to_a_value(s.text)]
    ranges += [(m.start(), m.end()) for m in _OFFER.finditer(prompt)]
    ranges += [(m.start(), m.end()) for m in _TIME.finditer(prompt)]
    return ranges
