"""Gaps from the rules and from the model, weighed against each other.

A rule's finding is a candidate, not an override. Where the model and a rule read the same
phrase differently, the reading backed by evidence wins and the trace says so: a program
that drops an operand the phrase contains loses to one that keeps it; a number in the
user's own wording (shown text, an offer, a time, a count of panels) is never arithmetic; a
lookup needs a cue that the fact changes; a memory gap must refer to the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from imagent.agent import rules
from imagent.agent.evaluate import ExpressionError, evaluate
from imagent.agent.numbers import read_numbers
from imagent.agent.planning.reading import RequestReading
from imagent.agent.probe import about_something_named, whole_request
from imagent.agent.rules import RuleGap
from imagent.agent.rules.spans import overlaps
from imagent.agent.trace import Tracer
from imagent.core.types import Evidence, EvidenceSource, Gap, GapRoute

STEP = "plan"
MAX_GAPS = 4
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_QUESTION_LIKE = re.compile(
    r"\b(?:what|which|who|whose|whoever|whichever|where|when|how|why|happens?|after|left"
    r"|largest|biggest|tallest|longest|smallest|highest|deepest|oldest|first|capital|answer|result|colou?rs?\s+of"
    r"|most|least|fewest|best|worst|nearest|closest|farthest|fastest|hottest|coldest|heaviest"
    r"|layers?|parts?|order|inside|made\s+of|looks?\s+like)\b"
    r"|\bthe\s+[\w'-]+(?:\s+[\w'-]+){0,2}\s+(?:of|that|which|who|whose|in|for|from|on|at)\b"
    r"|什么|哪|谁|多少|怎样|怎么|之后|以后|最|首都|样子|会|几|结果|答案|流入|所在|第\S{1,4}届|冠军|得主",
    re.IGNORECASE,
)


@dataclass
class ProposedGap:
    """A gap as a planner model wrote it, before the rules weigh it."""

    span: str
    route: str
    expression: str = ""
    answer: str = ""
    why: str = ""
    visual: str = ""
    queries: list[str] = field(default_factory=list)


def rule_gaps(reading: RequestReading) -> list[Gap]:
    """The gaps the rules find on their own: computable phrases, lookups, memory phrases."""
    gaps = [_computed(i, g) for i, g in enumerate(reading.computable, start=1)]
    for span in rules.measure_spans(reading.prompt):
        if not any(overlaps_text(span, g.span) for g in gaps):
            # The program is the model's to write: the `reason` route asks for one.
            gaps.append(_gap(len(gaps) + 1, GapRoute.REASON, span, decided_by="rules"))
    shown = [s.text for s in reading.shown]
    phrases = (
        (GapRoute.SEARCH, reading.search),
        (GapRoute.MEMORY, reading.memory),
        (GapRoute.KNOWLEDGE, reading.knowledge),
    )
    for route, spans in phrases:
        for span in spans:
            if any(overlaps_text(span, g.span) for g in gaps):
                continue
            if any(rules.contains_span(text, span) for text in shown):
                continue  # the user's own words to show ("Our Solar System"), not a reference
            changes = route is GapRoute.KNOWLEDGE and rules.has_search_cue(span)
            # "whoever won … last weekend" is a question, and about a fact that changes.
            gaps.append(
                _gap(len(gaps) + 1, GapRoute.SEARCH if changes else route, span, decided_by="rules")
            )
    for described in _described_values(reading.prompt):
        if not any(overlaps_text(described, g.span) for g in gaps):
            gaps.append(_value_lookup(len(gaps) + 1, described, reading.prompt))
    return gaps


def _described_values(prompt: str) -> list[str]:
    """Values the request asks to show by describing them ("写上她刚发的新专辑的名字", "with
    its title"), when they are about something it names (a name, a title; Chinese has no
    capitals to tell a name by) rather than about the user."""
    if not about_something_named(prompt):
        return []
    return [shown.text for shown in rules.value_descriptions(prompt)]


def _value_lookup(index: int, described: str, prompt: str) -> Gap:
    """A lookup of a described value: the request says what it is about, so the request
    is what is searched for; the answer takes the description's place in the text."""
    whole = whole_request(prompt)
    return Gap(
        id=f"g{index}",
        question=f"What is {described}, in this request: {whole}",
        route=GapRoute.SEARCH,
        span=described,
        queries=[whole],
        decided_by="rules",
    )


def _computed(index: int, found: RuleGap) -> Gap:
    return Gap(
        id=f"g{index}",
        question=found.question,
        route=GapRoute.REASON,
        span=found.span,
        expression=found.expression,
        unit="$" if found.money else "",
        decided_by="rules",
    )


def _gap(index: int, route: GapRoute, span: str, **fields: object) -> Gap:
    if route in (GapRoute.MEMORY, GapRoute.ASK):
        question = f"What do you mean by {span!r}?"
    elif route is GapRoute.REASON and rules.has_cjk(span):
        # The phrase itself ("面积是多少", "它的周长"): asked "What is 面积是多少?", the small
        # model wrote a program that never ended.
        question = span
    else:
        question = f"What is {span}?"
    return Gap(id=f"g{index}", question=question, route=route, span=span, **fields)


def overlaps_text(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a in b or b in a


def weigh(
    reading: RequestReading,
    taken: list[Gap],
    proposed: list[ProposedGap],
    tracer: Tracer,
    *,
    capable: bool = False,
) -> list[Gap]:
    """The rule gaps, with each model gap accepted, merged or pruned by the evidence.
    A capable model's knowledge gaps are not second-guessed by the question-shape check."""
    gaps = list(taken)
    for planned in proposed:
        planned = _rerouted(reading, planned, tracer)
        if planned.route in ("search", "knowledge"):
            planned = _widened(reading, planned, tracer)
        reason = _rejection(reading, planned, capable)
        if reason:
            tracer.decision(
                STEP, f"pruned {planned.route} gap {planned.span!r}: {reason}", by="rules"
            )
            continue
        span = rules.widen_span(reading.prompt, planned.span.strip())
        clash = next((g for g in gaps if overlaps_text(span, g.span)), None)
        if clash is not None:
            _settle(clash, planned, reading, gaps, tracer)
            continue
        gap = _gap(
            len(gaps) + 1,
            GapRoute(planned.route),
            span,
            expression=planned.expression or None,
            proposed=planned.answer or None,
            visual=planned.visual,
            queries=planned.queries,
            evidence=_reasoning(planned),
            decided_by="llm",
        )
        tracer.decision(STEP, f"llm: {gap.route} gap {gap.span!r}", gap_id=gap.id, by="llm")
        gaps.append(gap)
    return gaps[:MAX_GAPS]


def _reasoning(planned: ProposedGap) -> list[Evidence]:
    if not planned.answer or not planned.why:
        return []
    return [Evidence(source=EvidenceSource.REASONING, title="planner", snippet=planned.why)]


def _rerouted(reading: RequestReading, planned: ProposedGap, tracer: Tracer) -> ProposedGap:
    """A reason gap with nothing to compute is a question of general knowledge. (A lookup
    the model asks for stays a lookup: whether a fact needs one is the model's call, and a
    fact it cannot know must never be answered from its belief.)"""
    route = planned.route
    if route == "reason" and not _computable(planned):
        route, why = "knowledge", "a knowledge question"
    elif route == "search" and _works_out(reading, planned):
        route, why = "reason", "worked out from the numbers it gives"
    if route != planned.route:
        tracer.decision(STEP, f"{planned.route} gap {planned.span!r} is {why}", by="rules")
        planned = replace(planned, route=route)
    return planned


def _works_out(reading: RequestReading, planned: ProposedGap) -> bool:
    """A lookup, in a request with no sign that anything changes, of a phrase that gives two
    or more numbers ("长12厘米，宽5厘米…它的周长"), or that asks how many of something the
    request counts in numbers itself ("how many miles are left: the trip is 350 miles and
    we've driven 125"): the answer is computed, not found."""
    if rules.has_search_cue(reading.prompt):
        return False
    if len(_QUANTITY.findall(planned.span)) >= 2:
        return True
    counted = _HOW_MANY.search(planned.span)
    if counted is None:
        return False
    prompt = read_numbers(reading.prompt).text
    noun = re.escape(counted["noun"] or counted["zh"])
    return len(_QUANTITY.findall(prompt)) >= 2 and bool(re.search(rf"\d\s*{noun}", prompt, re.I))


_HOW_MANY = re.compile(
    r"\bhow\s+(?:many|much)\s+(?P<noun>[a-z]{3,}?)s?\b"
    r"|(?:多少|几)(?:个|只|块|张|本|辆|位|名)?(?P<zh>[\u4e00-\u9fff]{1,2})",
    re.IGNORECASE,
)


# A quantity written in digits: not an ordinal (第98届, 3rd), an edition or a year.
_QUANTITY = re.compile(
    r"(?<![第\d.])(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?(?![\d.]|\s*(?:届|季|期|集)|(?:st|nd|rd|th)\b)"
)


def _widened(reading: RequestReading, planned: ProposedGap, tracer: Tracer) -> ProposedGap:
    """A lookup whose span is only the thing asked about takes in the question around it
    ("the director of 'X'"), so the answer goes beside the question and the name stays."""
    span = rules.widen_lookup(reading.prompt, planned.span.strip())
    if span == planned.span.strip():
        return planned
    tracer.decision(STEP, f"{planned.route} gap {planned.span!r} asks {span!r}", by="rules")
    return replace(planned, span=span)


def _only_a_given_number(span: str) -> bool:
    """A phrase with at most one number and nothing that asks or operates on it: "10 cm",
    "3 cm edges", "3 tables and a playground" (the model had added the playground: 4)."""
    text = read_numbers(span).text
    if len(_NUMBER.findall(text)) > 1:
        return False
    return not (
        _QUESTION_LIKE.search(span) or _OPERATES.search(text) or rules.names_a_measure(span)
    )


_OPERATES = re.compile(
    r"\b(?:half|halve|double|twice|triple|thrice|quarter|third|squared?|cubed?|root|percent"
    r"|dozens?|total|sum|average|mean|product|difference|quotient|ratio|plus|minus|times"
    r"|divided|multiplied|age|old|years?|until|since|left|remain\w*|more|less|fewer"
    r"|rate|speed|tip|tax|discount|off|change|convert\w*|born|birthday|ago|later|after|before"
    r"|from\s+now|factorial|sqrt|prime|(?:in|into|to)\s+[a-z°]+)\b"
    r"|[%+\-*/×÷^=]|一半|两倍|倍|平方|立方|总|平均|结果|答案|等于|加|减|乘|除|岁|年龄|剩|还有|折|换算"
    r"|出生|生日|之后|以后|以前|后|前|[\u4e00-\u9fff]数|转换|换成",
    re.IGNORECASE,
)


def _bare_number(expression: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", expression))


def _computable(planned: ProposedGap) -> bool:
    if planned.expression:
        try:
            evaluate(planned.expression)
            return True
        except ExpressionError:
            pass
    return bool(_NUMBER.search(read_numbers(planned.span).text))


def _rejection(reading: RequestReading, planned: ProposedGap, capable: bool) -> str | None:
    """Why a proposed gap is dropped, or None to keep it."""
    span = planned.span.strip()
    found = rules.find_span(reading.prompt, span)
    if found is None:
        return "its span is not in the request"
    if planned.route == "reason" and planned.expression and _bare_number(planned.expression):
        return "the request gives the number; there is nothing to compute"
    if planned.route == "reason" and _only_a_given_number(span):
        return "it only gives a number (one, with nothing asked of it): there is nothing to compute"
    if planned.route == "reason" and any(
        overlaps((found.start(), found.end()), p) for p in rules.protected_ranges(reading.prompt)
    ):
        return "the number is the user's own wording (text to show, an offer, a time)"
    if planned.route in ("search", "knowledge") and rules.inside_quotes(reading.prompt, span):
        return "it is text the user quoted to show, kept as written"
    if reading.images and overlaps_text(span, reading.images.span):
        return "it is the count of images the request asks for"
    if planned.route in ("knowledge", "search") and not capable and not _asks(reading, planned):
        return "it describes the picture; nothing in it is a question"
    if planned.route in ("memory", "ask") and not rules.has_memory_cue(span):
        return "it does not refer to the user"
    return None


def _asks(reading: RequestReading, planned: ProposedGap) -> bool:
    """Whether a phrase asks for something: a question shape; or, for a lookup, a sign in the
    request that the fact changes (a date, "latest", "tomorrow's", "winner") or a named
    thing in the phrase (a name, a number, a title in 《》) that only a source can tell about."""
    if _QUESTION_LIKE.search(planned.span):
        return True
    return planned.route == "search" and (
        rules.has_search_cue(reading.prompt)
        or bool(_NAMED.search(planned.span))
        or bool(_CJK.search(planned.span))  # no capitals to tell a name by: let evidence decide
    )


_CJK = re.compile(r"[\u3400-\u9fff]")
_NAMED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'-]+|\b(?:19|20)\d\d\b|《[^》]+》|“[^”]+”")


def _settle(
    clash: Gap, planned: ProposedGap, reading: RequestReading, gaps: list[Gap], tracer: Tracer
) -> None:
    """The model read a phrase the rules already read: keep the better-evidenced reading.
    A rule that only saw a question's shape (knowledge) does not outvote the model on how to
    answer it: a lookup the model asks for is a lookup."""
    if (
        clash.route is GapRoute.KNOWLEDGE
        and clash.decided_by == "rules"
        and planned.route != "knowledge"
    ):
        span = rules.widen_span(reading.prompt, planned.span.strip())
        route = GapRoute(planned.route)
        gaps[gaps.index(clash)] = clash.model_copy(
            update={
                "route": route,
                "span": span if clash.span.lower() in span.lower() else clash.span,
                "expression": planned.expression or None,
                "decided_by": "llm",
            }
        )
        tracer.decision(
            STEP,
            f"{clash.id}: the model routes {planned.span!r} to {route}",
            gap_id=clash.id,
            by="llm",
        )
        return
    if clash.route == planned.route and clash.route is not GapRoute.REASON:
        wider = rules.widen_span(reading.prompt, planned.span.strip())
        if len(wider) > len(clash.span) and clash.span.lower() in wider.lower():
            gaps[gaps.index(clash)] = clash.model_copy(update={"span": wider, "decided_by": "llm"})
            tracer.decision(
                STEP,
                f"{clash.id}: the model's phrase {wider!r} says more; kept it",
                gap_id=clash.id,
                by="llm",
            )
            return
    if clash.route is not GapRoute.REASON or planned.route != "reason" or not planned.expression:
        tracer.decision(
            STEP,
            f"llm proposed {planned.route} for {planned.span!r}; kept {clash.id} ({clash.route})",
            gap_id=clash.id,
            by="rules",
        )
        return
    verdict = _compare(clash, planned.expression, reading)
    if verdict == "model":
        index = gaps.index(clash)
        gaps[index] = clash.model_copy(
            update={"expression": planned.expression, "decided_by": "llm"}
        )
    tracer.decision(
        STEP,
        f"{clash.id}: {verdict}: {_why(clash, planned, reading)}",
        gap_id=clash.id,
        by="evidence",
    )


def _compare(rule: Gap, expression: str, reading: RequestReading) -> str:
    """'agree', 'rule' or 'model': which program to keep for one phrase. A program that
    leaves out a number the other uses (and the request gives) loses."""
    try:
        model_value = evaluate(expression)
    except ExpressionError:
        return "rule"
    rule_value = evaluate(rule.expression or "0")
    if abs(float(model_value) - float(rule_value)) < 1e-9:
        return "agree"
    rule_missing, model_missing = _missing(rule, expression, reading)
    if rule_missing and not model_missing:
        return "model"
    return "rule"


def _numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


def _missing(rule: Gap, expression: str, reading: RequestReading) -> tuple[set[str], set[str]]:
    """The request's numbers each program leaves out (of those either one or the span uses)."""
    given = _numbers(read_numbers(reading.prompt).text)
    rule_uses = _numbers(rule.expression or "") & given
    model_uses = _numbers(expression) & given
    wanted = rule_uses | model_uses | _numbers(read_numbers(rule.span).text)
    return wanted - rule_uses, wanted - model_uses


def _why(rule: Gap, planned: ProposedGap, reading: RequestReading) -> str:
    rule_missing, model_missing = _missing(rule, planned.expression, reading)
    if model_missing:
        dropped = ", ".join(sorted(model_missing))
        return f"the model's {planned.expression} drops {dropped}; kept {rule.expression}"
    if rule_missing:
        dropped = ", ".join(sorted(rule_missing))
        return f"the rule's {rule.expression} drops {dropped}; took {planned.expression}"
    return f"rule {rule.expression} and model {planned.expression}"
