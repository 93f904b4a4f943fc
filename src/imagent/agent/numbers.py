"""Numbers written in words, in English and Chinese, read as numbers.

"twelve times thirteen", "one hundred and five", "十二乘以十三", "两千零二十六" — the rules
that find computable phrases read a copy of the request where every number word is a
digit, and map what they find back onto the request as the user wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a dozen": 12, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = r"(?:a\s+dozen|dozen|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_EN = re.compile(
    rf"\b{_WORD}(?:(?:[\s-]+|\s+and\s+)(?:{_WORD}|hundred|thousand|million))*\b", re.IGNORECASE
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
_ZH = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_SI_AFTER_KILO = {"克", "米", "瓦", "帕", "卡", "焦", "赫", "伏"}  # 千克 kg, 千米 km, 千瓦 kW …


@dataclass(frozen=True)
class Reading:
    """The request with number words as digits, and where each character came from."""

    text: str
    original: str
    positions: tuple[int, ...]  # positions[i]: where text[i] starts in the original (+ the end)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that `text[start:end]` was read from."""
        return self.positions[start], self.positions[end]

    def original_span(self, start: int, end: int) -> str:
        first, last = self.to_original(start, end)
        return self.original[first:last]


def english_value(words: str) -> int | None:
    """'one hundred and five' -> 105; None for words that are not a number."""
    total, current = 0, 0
    tokens = re.findall(r"a\s+dozen|[a-z]+", words.lower())
    if not tokens:
        return None
    for token in tokens:
        if token == "and":
            continue
        if token in _UNITS or re.sub(r"\s+", " ", token) in _UNITS:
            current += _UNITS[re.sub(r"\s+", " ", token)]
        elif token in _SCALES:
            scale = _SCALES[token]
            current = max(current, 1) * scale
            if scale >= 1000:
                total, current = total + current, 0
        else:
            return None
    return total + current


def chinese_value(chars: str) -> int | None:
    """'十二' -> 12, '两千零二十六' -> 2026, '一九九八' -> 1998; None if not a number."""
    if not chars or any(c not in _ZH_DIGITS and c not in _ZH_SCALES for c in chars):
        return None
    if all(c in _ZH_DIGITS for c in chars):  # digit by digit, as in years
        return int("".join(str(_ZH_DIGITS[c]) for c in chars))
    total, section, digit = 0, 0, 0
    for char in chars:
        if char in _ZH_DIGITS:
            digit = _ZH_DIGITS[char]
        elif char == "万":
            total += (section + digit) * 10_000
            section, digit = 0, 0
        else:
            section += (digit or 1) * _ZH_SCALES[char]
            digit = 0
    return total + section + digit


def read_numbers(text: str) -> Reading:
    """`text` with English and Chinese number words replaced by digits."""
    spans: list[tuple[int, int, str]] = []
    for match in _EN.finditer(text):
        value = english_value(match.group(0))
        if value is not None and not _is_pronoun_one(text, match):
            spans.append((match.start(), match.end(), str(value)))
    for match in _ZH.finditer(text):
        after_digits = re.search(r"\d+(?:\.\d+)?$", text[: match.start()])
        if after_digits and match.group(0) in _ZH_SCALES:
            # "5千克", "3千米": a unit (kilogram, kilometre), not a thousand; "5千" and
            # "1.5万" are 5000 and 15000, not "51000" and "1.510000".
            if match.group(0) == "千" and text[match.end() : match.end() + 1] in _SI_AFTER_KILO:
                continue
            number = float(after_digits.group(0)) * _ZH_SCALES[match.group(0)]
            shown = str(int(number)) if number.is_integer() else str(number)
            spans.append((after_digits.start(), match.end(), shown))
            continue
        value = chinese_value(match.group(0))
        if value is not None and not _is_chinese_word(text, match):
            spans.append((match.start(), match.end(), str(value)))
    spans.sort()
    out: list[str] = []
    positions: list[int] = []
    last = 0
    for start, end, digits in spans:
        if start < last:
            continue
        out.append(text[last:start])
        positions.extend(range(last, start))
        out.append(digits)
        positions.extend([start] + [end] * (len(digits) - 1))
        last = end
    out.append(text[last:])
    positions.extend(range(last, len(text)))
    positions.append(len(text))
    return Reading("".join(out), text, tuple(positions))


def _is_pronoun_one(text: str, match: re.Match[str]) -> bool:
    """'one' as a pronoun ("the red one", "one of them") is not a number to compute with."""
    word = match.group(0).lower()
    if word != "one":
        return False
    before = text[: match.start()].rstrip().lower()
    after = text[match.end() :].lstrip().lower()
    return before.endswith(
        ("the", "this", "that", "each", "every", "any", "no")
    ) or after.startswith("of")


_CHINESE_WORDS = (
    "一起",
    "一样",
    "一下",
    "一点",
    "一些",
    "一直",
    "统一",
    "唯一",
    "万一",
    "一定",
    "第一",
)


def _is_chinese_word(text: str, match: re.Match[str]) -> bool:
    """Characters that are part of a word ("一起", "唯一"), not a count."""
    start, end = match.start(), match.end()
    window = text[max(0, start - 1) : end + 1]
    return any(word in window for word in _CHINESE_WORDS) and len(match.group(0)) == 1
