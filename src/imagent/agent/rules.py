"""Deterministic rules that assist the planner where a small model is weak.

Rules find computable gaps (arithmetic, percentages, ages, totals) with their programs,
the text a request wants shown, and the cues that justify search or memory gaps. The
plan records which gaps the rules decided (`Gap.decided_by = "rules"`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d+(?:[.,]\d+)?"
_OP_WORDS = {
    "x": "*",
    "×": "*",
    "*": "*",
    "times": "*",
    "multiplied by": "*",
    "+": "+",
    "plus": "+",
    "-": "-",
    "−": "-",
    "minus": "-",
    "/": "/",
    "÷": "/",
    "divided by": "/",
    "over": "/",
}
_OP = r"(?:multiplied\s+by|divided\s+by|times|plus|minus|over|[x×*+\-−/÷])"
_CHAIN = rf"{_NUM}(?:\s*{_OP}\s*{_NUM})+"
_CUE = (
    r"(?:(?:the\s+)?(?:result|answer|product|sum|total|value|solution|difference|quotient)"
    r"\s+(?:of|to|for)\s+|what\s+is\s+|how\s+much\s+is\s+|compute\s+|calculate\s+|solve\s+)"
)
_ARITHMETIC = re.compile(rf"(?P<cue>{_CUE})?(?P<chain>{_CHAIN})(?:\s*=\s*\??)?", re.IGNORECASE)
_PERCENT = re.compile(rf"(?P<cue>{_CUE})?(?P<p>{_NUM})\s*(?:%|percent)\s+of\s+(?P<n>{_NUM})", re.I)
_SQUARED = re.compile(rf"(?P<cue>{_CUE})?(?P<n>{_NUM})\s+(?P<kind>squared|cubed)", re.I)
_SQRT = re.compile(rf"(?P<cue>{_CUE})?(?:the\s+)?square\s+root\s+of\s+(?P<n>{_NUM})", re.I)
_AGE = re.compile(
    r"(?P<span>how\s+old\s+(?:[\w']+\s+){0,4}?born\s+in\s+(?P<born>\d{4})"
    r"(?:\s+(?:is|turns|will\s+be|would\s+be|becomes|gets))?(?:\s+in\s+(?P<year>\d{4}))?"
    r"|(?:the\s+)?age\s+(?:in\s+(?P<year2>\d{4})\s+)?of\s+(?:[\w']+\s+){0,3}?born\s+in\s+(?P<born2>\d{4}))",
    re.IGNORECASE,
)
_PRICED = re.compile(
    rf"(?P<q>\d+)\s+[\w' -]{{1,30}}?\s+(?:at|for|@)\s+\$\s?(?P<p>{_NUM})(?:\s+each)?", re.I
)
_TOTAL = re.compile(r"(?:the\s+)?(?:grand\s+)?total(?:\s+(?:price|cost|amount))?", re.I)
_QUOTED = re.compile(r"\"([^\"]{1,300})\"|“([^”]{1,300})”|«([^»]{1,300})»")
_SHOW_CUE = re.compile(
    r"(?:showing|shows|displaying|that\s+(?:reads|says|shows)|saying|reading|with\s+the\s+(?:text|words)"
    r"|labell?ed|titled|written|writes|write|with)\s+(?:only\s+)?$",
    re.IGNORECASE,
)
_SEARCH_CUES = re.compile(
    r"\b(?:today|tomorrow|tonight|yesterday|this\s+(?:week|weekend|month|year|season)|latest|current"
    r"|recent|upcoming|now|live|newest|new|won|winner|winning|champion|record|price|stock|weather"
    r"|forecast|score|release[ds]?|trailer|cast|logo|flag|jersey|news|election|20\d\d|19\d\d)\b",
    re.IGNORECASE,
)
_MEMORY_CUES = re.compile(
    r"\b(?:my|our|mine|me|we|us|last\s+time|usual|usually|same\s+as|again|previous|before|like\s+always"
    r"|as\s+always|favou?rite)\b",
    re.IGNORECASE,
)


_MEMORY_SPANS = re.compile(
    r"(?:the\s+)?same\s+(?:[\w-]+\s+){0,2}as\s+(?:my|our|the)\s+(?:last|previous|earlier|other)\s+[\w-]+"
    r"|(?:(?:just\s+)?(?:as|like)\s+(?:last\s+time|before|always|usual))"
    r"|\b(?:my|our)\s+(?:usual|favou?rite|regular|signature)\s+[\w-]+"
    r"|\b(?:my|our)\s+(?:brand|house)(?:\s+(?:colou?rs?|palette|style|fonts?|logo|look))?"
    r"|\b(?:my|our)\s+(?:dog|cat|pet|wife|husband|partner|son|daughter|kids?|family|house|car"
    r"|company|logo|product|shop|store|team|band|mascot)\b",
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
    r"|\b(?:the\s+)?(?:winner|champion)s?\s+of\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?\d{4}(?:\s+[A-Z][\w-]*)*",
)


@dataclass(frozen=True)
class RuleGap:
    """A computable gap found by a rule: the phrase it stands for and its program."""

    span: str
    expression: str
    question: str
    money: bool = False


def _number(text: str) -> str:
    return text.replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", text) else text.replace(",", "")


def _chain_expression(chain: str) -> str:
    tokens = re.findall(rf"{_NUM}|{_OP}", chain, flags=re.IGNORECASE)
    parts = [
        _OP_WORDS[re.sub(r"\s+", " ", tok.lower())] if not tok[0].isdigit() else _number(tok)
        for tok in tokens
    ]
    return "".join(parts)


def _is_arithmetic(match: re.Match[str]) -> bool:
    """Ambiguous operators ('-', '/', 'x' between sizes) need a cue like "the result of"."""
    if match["cue"]:
        return True
    ops = re.findall(_OP, match["chain"], flags=re.IGNORECASE)
    unambiguous = {"×", "*", "times", "plus", "multiplied by", "divided by", "÷", "+"}
    if re.fullmatch(r"\d{2,5}\s*x\s*\d{2,5}", match["chain"], re.I):  # "1024x1024" is a size
        return False
    return any(re.sub(r"\s+", " ", op.lower()) in unambiguous for op in ops) or match.group(
        0
    ).rstrip().endswith(("=", "?"))


def computable_gaps(prompt: str, *, current_year: int) -> list[RuleGap]:
    """Every computable phrase in `prompt`, left to right, without overlaps."""
    found: list[tuple[int, RuleGap]] = []
    for m in _AGE.finditer(prompt):
        born = m["born"] or m["born2"]
        year = m["year"] or m["year2"] or str(current_year)
        found.append((m.start(), RuleGap(m.group(0).strip(), f"{year}-{born}", "How old?")))
    for m in _PERCENT.finditer(prompt):
        expr = f"{_number(m['p'])}*{_number(m['n'])}/100"
        found.append((m.start(), RuleGap(m.group(0).strip(), expr, f"What is {m.group(0)}?")))
    for m in _SQRT.finditer(prompt):
        found.append((m.start(), RuleGap(m.group(0).strip(), f"sqrt({_number(m['n'])})", "Root?")))
    for m in _SQUARED.finditer(prompt):
        power = 2 if m["kind"].lower() == "squared" else 3
        found.append(
            (m.start(), RuleGap(m.group(0).strip(), f"{_number(m['n'])}**{power}", "Power?"))
        )
    for m in _ARITHMETIC.finditer(prompt):
        if _is_arithmetic(m):
            span = re.sub(r"[\s=?]+$", "", m.group(0).strip())
            expr = _chain_expression(m["chain"])
            found.append((m.start(), RuleGap(span, expr, f"What is {m['chain']}?")))
    found.extend(_priced_total(prompt))
    return _without_overlaps(prompt, found)


def _priced_total(prompt: str) -> list[tuple[int, RuleGap]]:
    items = list(_PRICED.finditer(prompt))
    total = _TOTAL.search(prompt)
    if not items or not total:
        return []
    expr = "+".join(f"{m['q']}*{_number(m['p'])}" for m in items)
    return [(total.start(), RuleGap(total.group(0), expr, "What is the total?", money=True))]


def _without_overlaps(prompt: str, found: list[tuple[int, RuleGap]]) -> list[RuleGap]:
    taken: list[range] = []
    kept: list[tuple[int, RuleGap]] = []
    for start, gap in sorted(found, key=lambda f: (f[0], -len(f[1].span))):
        where = range(start, start + len(gap.span))
        if any(where.start < t.stop and t.start < where.stop for t in taken):
            continue
        taken.append(where)
        kept.append((start, gap))
    return [gap for _, gap in kept]


def memory_spans(prompt: str) -> list[str]:
    """Phrases that only this user's memory can fill: "same style as my last poster"."""
    return [m.group(0).strip() for m in _MEMORY_SPANS.finditer(prompt)]


def search_spans(prompt: str) -> list[str]:
    """Phrases naming a fact that must be looked up: "tomorrow's weather in Hangzhou"."""
    return [m.group(0).strip() for m in _SEARCH_SPANS.finditer(prompt)]


def quoted_text(prompt: str) -> list[str]:
    """Literal text the request quotes: "OPEN", “Sale”."""
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(prompt)]


def shown_spans(prompt: str, spans: list[str]) -> list[str]:
    """The spans the request asks the image to show as text ("showing the result of ...")."""
    shown = []
    lowered = prompt.lower()
    for span in spans:
        at = lowered.find(span.lower())
        if at >= 0 and _SHOW_CUE.search(prompt[max(0, at - 40) : at]):
            shown.append(span)
    return shown


def has_search_cue(text: str) -> bool:
    return bool(_SEARCH_CUES.search(text))


def has_memory_cue(text: str) -> bool:
    return bool(_MEMORY_CUES.search(text))


def span_pattern(span: str) -> str:
    """A regex for `span` as written, whatever the spacing between its words."""
    return r"\s+".join(re.escape(word) for word in span.split())


def widen_span(prompt: str, span: str) -> str:
    """Include a cue the span leaves out: "128 and 256" → "the sum of 128 and 256"."""
    match = re.search(_CUE + span_pattern(span), prompt, re.IGNORECASE)
    return match.group(0) if match else span


def contains_span(prompt: str, span: str) -> bool:
    """Whether the request really contains `span` (case and spacing aside)."""
    return bool(span.strip()) and _normalised(span) in _normalised(prompt)


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def replace_span(text: str, span: str, value: str) -> str:
    """Replace `span` (case-insensitive, flexible spacing) with `value` once."""
    return re.sub(span_pattern(span), lambda _: value, text, count=1, flags=re.IGNORECASE)
