"""A count that a source gives as an ordinal: "how many Golden Whisk stars her restaurant has
now", answered by "was awarded a third Golden Whisk star", is 3 Golden Whisk stars.

The answer is worked out from the cited words, like an age from a birth date: the value
is new text, and the source's sentence stays its evidence.
"""

from __future__ import annotations

import re

from imagent.agent.numbers import chinese_value

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "twentieth": 20,
}  # fmt: skip
_HOW_MANY = re.compile(r"\bhow\s+many\b|\bnumber\s+of\b|几|多少", re.IGNORECASE)
_EN = re.compile(
    r"\b(?P<ordinal>" + "|".join(_ORDINALS) + r"|\d{1,4}(?:st|nd|rd|th))"
    r"(?P<words>(?:\s+[A-Za-z][\w'’-]*){1,4})",
    re.IGNORECASE,
)
_CN = re.compile(
    r"第(?P<n>\d{1,2}|[一二两三四五六七八九十])(?P<unit>[颗枚个座次块项尊])(?P<noun>[\u4e00-\u9fff]{0,6})"
)


def asks_how_many(span: str) -> bool:
    return bool(_HOW_MANY.search(span))


_STOP = re.compile(
    r"^(?:she|he|they|it|her|his|their|its|the|a|an|has|have|had|did|does|do|is|are|was|were"
    r"|in|on|at|of|for|to|this|that|will|can|now|so|since|by|with|from|and|or)$",
    re.IGNORECASE,
)


def _counted(span: str) -> str:
    """The noun phrase a how-many question counts: "Golden Whisk stars" of "how many Golden
    Whisk stars her restaurant has now" (Chinese questions are matched by measure word)."""
    found = re.search(r"\b(?:how\s+many|number\s+of)\s+((?:[\w'’-]+\s*){1,5})", span, re.I)
    if found is None:
        return span.lower()
    words = []
    for word in found.group(1).split():
        if _STOP.match(word):
            break
        words.append(word.lower())
    return " ".join(words)


def _named_in(word: str, asked: str) -> bool:
    """Whether the question names `word` (as written, or in the plural)."""
    stem = re.escape(word.lower().rstrip("s") if len(word) > 3 else word.lower())
    return bool(re.search(rf"\b{stem}(?:s|es)?\b", asked))


def _asked_noun(span: str, unit: str, noun: str) -> str:
    """The counted noun as the question says it: "世界冠军" of "第几个世界冠军" against the
    source's "第五个世界冠军，…"; a few characters when the question names none."""
    asked = re.search(rf"(?:几|多少){unit}([\u4e00-\u9fff]{{1,6}})", span)
    if asked is None:
        return noun[:3]
    same = 0
    for ours, theirs in zip(noun, asked.group(1), strict=False):
        if ours != theirs:
            break
        same += 1
    return noun[:same]


def count_from_ordinal(span: str, clause: str) -> str | None:
    """ "3 Golden Whisk stars" for a how-many question whose answer says "a third Golden Whisk
    star": the counted noun must be one the question names. None when there is no such
    ordinal."""
    if not asks_how_many(span):
        return None
    asked = _counted(span)
    for found in _EN.finditer(clause):
        words = found["words"].split()
        named = [i for i, w in enumerate(words) if _named_in(w, asked)]
        if not named:
            continue
        last = named[-1]  # "third Golden Whisk star": the counted noun ends the phrase
        ordinal = found["ordinal"].lower()
        count = _ORDINALS.get(ordinal) or int(re.sub(r"\D", "", ordinal))
        noun = words[last]
        plural = noun if count == 1 or noun.lower().endswith("s") else f"{noun}s"
        return " ".join([str(count), *words[:last], plural])
    for found in _CN.finditer(clause):
        if found["unit"] not in span:
            continue
        n = found["n"]
        number = int(n) if n.isdigit() else chinese_value(n)
        if number is None:
            continue
        return f"{number}{found['unit']}{_asked_noun(span, found['unit'], found['noun'])}"
    return None


def with_counted_noun(span: str, sentence: str, value: str) -> str:
    """A number a source gives for a how-many question, with the whole noun the question
    counts: "214 clean sheets", not "214 clean", for "how many clean sheets he kept"."""
    number = re.match(r"\d[\d,.]*", value)
    if not asks_how_many(span) or number is None:
        return value
    asked = _counted(span).split()
    found = re.search(rf"(?<![\d.,]){re.escape(number.group(0))}((?:\s+[\w'’-]+){{1,5}})", sentence)
    if found is None or not asked:
        return value
    words = []
    for word in found.group(1).split():
        if not _named_in(word, " ".join(asked)):
            break
        words.append(word)
    phrase = " ".join([number.group(0), *words])
    return phrase if len(phrase) > len(value) else value
