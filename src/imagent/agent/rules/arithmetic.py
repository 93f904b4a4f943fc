"""Computable phrases and their programs: candidates the planner weighs against the model.

The rules read the request with number words as digits ("twelve times thirteen",
"十二乘以十三") and find arithmetic, percentages and discounts, powers and roots, ages,
totals of priced items and unit conversions. A number inside the user's own wording —
shown text that already gives its value, an offer, a time, a count of panels — is never
arithmetic (see `text.protected_ranges`). Every candidate keeps the operands it read, so
the planner can tell when a program drops one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from imagent.agent.numbers import Reading, read_numbers
from imagent.agent.rules.spans import CUE, overlaps
from imagent.agent.rules.text import protected_ranges

NUM = r"\d+(?:[.,]\d+)?"
_OP_WORDS = {
    "x": "*", "×": "*", "*": "*", "times": "*", "multiplied by": "*", "乘以": "*", "乘": "*",
    "+": "+", "plus": "+", "加上": "+", "加": "+",
    "-": "-", "−": "-", "minus": "-", "减去": "-", "减": "-",
    "/": "/", "÷": "/", "divided by": "/", "over": "/", "除以": "/",
}  # fmt: skip
_OP = r"(?:multiplied\s+by|divided\s+by|times|plus|minus|over|乘以|乘|加上|加|减去|减|除以|[x×*+\-−/÷])"
_CHAIN = rf"{NUM}(?:\s*{_OP}\s*{NUM})+"
_ZH_CUE = r"(?:的(?:结果|答案|积|和|差|商|值)|等于(?:几|多少)|是多少)"
_ARITHMETIC = re.compile(
    rf"(?P<cue>{CUE})?(?P<chain>{_CHAIN})(?P<zh>{_ZH_CUE})?(?P<eq>\s*=\s*\??)?(?P<given>\s*{NUM})?",
    re.IGNORECASE,
)
_NAMED = re.compile(
    rf"(?:the\s+)?(?P<op>product|sum|difference|quotient)\s+(?:of|between)\s+(?P<a>{NUM})"
    rf"\s+(?:and|by)\s+(?P<b>{NUM})",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"(?P<cue>{CUE})?(?P<p>{NUM})\s*(?:%|percent)\s+of\s+(?P<n>{NUM})", re.I)
_SQUARED = re.compile(rf"(?P<cue>{CUE})?(?P<n>{NUM})\s+(?P<kind>squared|cubed)", re.I)
_SQRT = re.compile(rf"(?P<cue>{CUE})?(?:the\s+)?square\s+root\s+of\s+(?P<n>{NUM})", re.I)
_MONEY = rf"[$€£¥]\s?(?P<price>{NUM})|(?P<price2>{NUM})\s*(?:dollars|euros|pounds|元|块)"
_DISCOUNT = re.compile(rf"(?P<p>{NUM})\s*(?:%|percent)\s*off|打\s*(?P<zhe>\d(?:\.\d)?)\s*折", re.I)
_SALE_PRICE = re.compile(
    r"\b(?:sale|discounted|new|final|reduced|special|offer)\s+price\b|price\s+after|"
    r"\b(?:now|pay)\s+only\b|折后价|现价|优惠价|打折后",
    re.IGNORECASE,
)
_DISCOUNT_AMOUNT = re.compile(r"\b(?:savings?|you\s+save|discount\s+amount|amount\s+off)\b", re.I)
_AGE_QUESTION = re.compile(
    r"how\s+old|\bage\b|满几岁|几岁|多少岁|年龄|满几|turns?\s+how", re.IGNORECASE
)
_AGE_TAIL = re.compile(
    r"^(?:,?\s*(?:is|turns|will\s+be|would\s+be|becomes|gets|was))?\s*(?:this\s+year|next\s+year"
    r"|in\s+\d{4}|now|today)|^[^，,。]{0,4}?(?:今年|明年|\d{4}\s*年)?(?:满)?(?:几|多少)?岁",
    re.IGNORECASE,
)
_BORN = re.compile(r"born\s+in\s+(?P<born>\d{4})|(?P<born2>\d{4})\s*年\s*(?:出生|生)", re.I)
_AT_YEAR = re.compile(r"\bin\s+(?P<year>\d{4})\b|(?P<year2>\d{4})\s*年(?!\s*(?:出生|生))")
_NEXT_YEAR = re.compile(r"next\s+year|明年", re.IGNORECASE)
_PRICED = re.compile(
    rf"(?P<q>\d+|an?|one)\s+(?P<item>[A-Za-z][A-Za-z' -]{{0,29}}?)\s+(?:at|for|@|costing)\s+"
    rf"[$€£¥]\s?(?P<p>{NUM})(?P<each>\s+(?:each|apiece|a\s+piece|per\s+\w+))?",
    re.IGNORECASE,
)
_TOTAL = re.compile(
    r"(?:the\s+)?(?:grand\s+)?total(?:\s+(?:price|cost|amount|bill|due))?|合计|总价|总共|一共", re.I
)
UNITS = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
    "year": 31536000, "fortnight": 1209600,
    "millimetre": 0.001, "millimeter": 0.001, "centimetre": 0.01, "centimeter": 0.01,
    "metre": 1, "meter": 1, "kilometre": 1000, "kilometer": 1000, "inch": 0.0254,
    "foot": 0.3048, "feet": 0.3048, "yard": 0.9144, "mile": 1609.344,
    "gram": 1, "kilogram": 1000, "pound": 453.59237, "ounce": 28.349523125,
}  # fmt: skip
_UNIT = r"(?:" + "|".join(sorted(UNITS, key=len, reverse=True)) + r")(?:e?s)?"
_CONVERSION = re.compile(
    rf"how\s+many\s+(?P<small>{_UNIT})\s+(?:are\s+|is\s+|there\s+are\s+)?in\s+"
    rf"(?:(?P<n>{NUM})|an?|one)\s+(?P<big>{_UNIT})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RuleGap:
    """A computable phrase found by a rule: the words it stands for, and its program."""

    span: str
    expression: str
    question: str
    money: bool = False
    operands: tuple[str, ...] = field(default=())  # the numbers the rule read in the span
    start: int = 0  # where the span starts in the request


def number(text: str) -> str:
    """`"4,50"` → `"4.50"` (a decimal comma); `"1,000"` → `"1000"`."""
    return text.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", text) else text.replace(",", "")


def _unit_key(word: str) -> str:
    word = word.lower()
    for key in sorted(UNITS, key=len, reverse=True):
        if word.startswith(key):
            return key
    return word


def _chain_expression(chain: str) -> str:
    tokens = re.findall(rf"{NUM}|{_OP}", chain, flags=re.IGNORECASE)
    return "".join(
        number(tok) if tok[0].isdigit() else _OP_WORDS[re.sub(r"\s+", " ", tok.lower())]
        for tok in tokens
    )


def _is_arithmetic(match: re.Match[str]) -> bool:
    """Ambiguous operators ('-', '/', 'x' between sizes) need a cue like "the result of";
    an equation that already gives its answer ("1 + 1 = 2") is not a question."""
    if match["given"] and match["eq"]:
        return False
    if match["cue"] or match["zh"]:
        return True
    chain = match["chain"]
    if re.fullmatch(r"\d{2,5}\s*x\s*\d{2,5}", chain, re.I):  # "1024x1024" is a size
        return False
    ops = {re.sub(r"\s+", " ", op.lower()) for op in re.findall(_OP, chain, flags=re.I)}
    unambiguous = {"×", "*", "times", "plus", "multiplied by", "divided by", "÷", "+", "乘以",
                   "乘", "加上", "加", "减去", "除以"}  # fmt: skip
    return bool(ops & unambiguous) or bool(match["eq"])


def computable_gaps(prompt: str, *, current_year: int) -> list[RuleGap]:
    """Every computable phrase in `prompt`, left to right, without overlaps."""
    reading = read_numbers(prompt)
    found = [
        *_arithmetic(reading),
        *_named(reading),
        *_powers(reading),
        *_percentages(reading),
        *_ages(reading, current_year),
        *_conversions(reading),
        *_totals(reading),
    ]
    protected = protected_ranges(prompt)
    found = [g for g in found if not any(overlaps(_where(g), p) for p in protected)]
    return _without_overlaps(found)


def _where(gap: RuleGap) -> tuple[int, int]:
    return (gap.start, gap.start + len(gap.span))


def _gap(
    reading: Reading, start: int, end: int, expression: str, question: str, **kw: object
) -> RuleGap:
    first, last = reading.to_original(start, end)
    span = reading.original[first:last].strip()
    operands = tuple(number(n) for n in re.findall(NUM, reading.text[start:end]))
    return RuleGap(span, expression, question, operands=operands, start=first, **kw)  # type: ignore[arg-type]


def _arithmetic(reading: Reading) -> list[RuleGap]:
    gaps = []
    for m in _ARITHMETIC.finditer(reading.text):
        if _is_arithmetic(m):
            end = m.end("zh") if m["zh"] else m.end("chain")
            expression = _chain_expression(m["chain"])
            gaps.append(_gap(reading, m.start(), end, expression, f"What is {m['chain']}?"))
    return gaps


def _named(reading: Reading) -> list[RuleGap]:
    symbol = {"product": "*", "sum": "+", "difference": "-", "quotient": "/"}
    return [
        _gap(
            reading,
            m.start(),
            m.end(),
            f"{number(m['a'])}{symbol[m['op'].lower()]}{number(m['b'])}",
            f"What is {m.group(0)}?",
        )
        for m in _NAMED.finditer(reading.text)
    ]


def _powers(reading: Reading) -> list[RuleGap]:
    gaps = [
        _gap(reading, m.start(), m.end(), f"sqrt({number(m['n'])})", "What is the root?")
        for m in _SQRT.finditer(reading.text)
    ]
    for m in _SQUARED.finditer(reading.text):
        power = 2 if m["kind"].lower() == "squared" else 3
        gaps.append(_gap(reading, m.start(), m.end(), f"{number(m['n'])}**{power}", "Power?"))
    return gaps


def _percentages(reading: Reading) -> list[RuleGap]:
    text = reading.text
    gaps = [
        _gap(
            reading,
            m.start(),
            m.end(),
            f"{number(m['p'])}*{number(m['n'])}/100",
            f"What is {m.group(0)}?",
        )
        for m in _PERCENT.finditer(text)
    ]
    discount = _DISCOUNT.search(text)
    prices = list(re.finditer(_MONEY, text))
    if discount and prices:
        price = number(prices[0]["price"] or prices[0]["price2"])
        rate = f"{number(discount['p'])}/100" if discount["p"] else f"(1-{discount['zhe']}/10)"
        target = _SALE_PRICE.search(text) or _DISCOUNT_AMOUNT.search(text)
        if target is not None:
            amount = _DISCOUNT_AMOUNT.search(target.group(0)) is not None
            expression = f"{price}*{rate}" if amount else f"{price}*(1-{rate})"
            gap = _gap(
                reading, target.start(), target.end(), expression, "What is the price?", money=True
            )
            gaps.append(_with_operands(gap, (price, number(discount["p"] or discount["zhe"]))))
    return gaps


def _with_operands(gap: RuleGap, operands: tuple[str, ...]) -> RuleGap:
    return RuleGap(gap.span, gap.expression, gap.question, gap.money, operands, gap.start)


def _ages(reading: Reading, current_year: int) -> list[RuleGap]:
    """ "how old my dad, born in 1961, is this year", "1998年出生的人今年满几岁"."""
    gaps = []
    for sentence in re.finditer(r"[^.!?;。！？；]+", reading.text):
        text = sentence.group(0)
        question, born = _AGE_QUESTION.search(text), _BORN.search(text)
        if not question or not born:
            continue
        year_match = _AT_YEAR.search(text[born.end() :]) or _AT_YEAR.search(text[: born.start()])
        year = str(current_year + (1 if _NEXT_YEAR.search(text) else 0))
        if year_match:
            year = year_match["year"] or year_match["year2"]
        birth = born["born"] or born["born2"]
        start = sentence.start() + min(question.start(), born.start())
        end = sentence.start() + max(question.end(), born.end())
        tail = _AGE_TAIL.match(reading.text[end : sentence.end()])
        end += tail.end() if tail else 0
        gap = _gap(reading, start, end, f"{year}-{birth}", "How old?")
        gaps.append(_with_operands(gap, (birth,)))
    return gaps


def _conversions(reading: Reading) -> list[RuleGap]:
    gaps = []
    for m in _CONVERSION.finditer(reading.text):
        small, big = UNITS[_unit_key(m["small"])], UNITS[_unit_key(m["big"])]
        count = number(m["n"]) if m["n"] else "1"
        expression = f"{count}*{big}/{small}"
        gaps.append(_gap(reading, m.start(), m.end(), expression, f"{m.group(0)}?"))
    return gaps


def _totals(reading: Reading) -> list[RuleGap]:
    """The total of priced items: "2 pizzas for $12 each and a soda for $3, the total"."""
    items = list(_PRICED.finditer(reading.text))
    total = _TOTAL.search(reading.text)
    if not items or not total:
        return []
    terms = []
    for m in items:
        quantity = m["q"] if m["q"].isdigit() else "1"
        terms.append(f"{quantity}*{number(m['p'])}")
    operands = tuple(number(m["p"]) for m in items)
    gap = _gap(
        reading, total.start(), total.end(), "+".join(terms), "What is the total?", money=True
    )
    return [_with_operands(gap, operands)]


def _without_overlaps(found: list[RuleGap]) -> list[RuleGap]:
    kept: list[RuleGap] = []
    for gap in sorted(found, key=lambda g: (g.start, -len(g.span))):
        if any(overlaps(_where(gap), _where(k)) for k in kept):
            continue
        kept.append(gap)
    return kept
