"""GROUND: resolve every open gap by its route, all gaps concurrently.

- reason: a program (from the rules or the model) computed by the safe evaluator.
- search: extractive: the resolution is words copied from a retrieved source, never the
  model's belief; sources are untrusted data and cannot change instructions.
- memory: the user's profile and history.
- ask: a question for the user (mode "ask"), else the memory, else left unresolved.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, Field

from imagent.agent import counts, extract, rules
from imagent.agent.dates import target_day
from imagent.agent.evaluate import ExpressionError, evaluate
from imagent.agent.probe import named_things
from imagent.agent.programs import write_program
from imagent.agent.recall import recall
from imagent.agent.references import find_reference
from imagent.agent.rules import ages
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.agent.units import unit_of, with_unit
from imagent.backends.llm.base import LLM
from imagent.backends.search.base import Search, SearchHit
from imagent.core.errors import ImagentError
from imagent.core.types import AskMode, Evidence, EvidenceSource, Gap, GapRoute, GapStatus, Request
from imagent.memory.base import Memory
from imagent.prompts import load_prompt
from imagent.settings import Settings

STEP = "ground"


class KnowledgeAnswer(BaseModel):
    answer: str = Field(max_length=120)
    why: str = Field(default="", max_length=200)
    look: str = Field(default="", max_length=200)


UNKNOWN = frozenset({"", "unknown", "not sure", "unsure", "n/a", "none", "不知道", "未知"})


@dataclass
class GroundContext:
    request: Request
    llm: LLM | None
    search: Search | None
    memory: Memory | None
    tracer: Tracer
    today: date
    settings: Settings = field(default_factory=Settings)
    folder: str | None = None  # the run's folder, for what grounding keeps (reference images)
    knowledge: bool = True  # whether the model may answer knowledge gaps from what it knows
    shown: list[str] = field(default_factory=list)  # the plan's text to show
    warnings: list[str] = field(default_factory=list)  # for the user: e.g. a search outage


async def ground_gaps(gaps: list[Gap], ctx: GroundContext) -> list[Gap]:
    """Resolve the open gaps concurrently; the others are returned as they are."""
    routes = {
        GapRoute.REASON: _reason,
        GapRoute.KNOWLEDGE: _knowledge,
        GapRoute.SEARCH: _search,
        GapRoute.IMAGE_SEARCH: find_reference,
        GapRoute.MEMORY: _memory,
        GapRoute.ASK: _ask,
    }

    async def one(gap: Gap) -> Gap:
        handler = routes.get(gap.route)
        if gap.status is not GapStatus.OPEN or handler is None:
            return gap
        try:
            resolved = await handler(gap, ctx)
        except ImagentError as exc:
            ctx.tracer.warning(STEP, f"gap {gap.id} ({gap.route}) failed: {exc}")
            resolved = gap.model_copy(update={"status": GapStatus.UNRESOLVED})
        ctx.tracer.decision(
            STEP,
            f"{gap.id} {gap.route}: {resolved.status} {resolved.resolution or ''}".rstrip(),
            gap_id=gap.id,
            route=str(gap.route),
            status=str(resolved.status),
            resolution=resolved.resolution,
        )
        return resolved

    return list(await asyncio.gather(*(one(gap) for gap in gaps)))


def _resolved(gap: Gap, value: str, evidence: list[Evidence]) -> Gap:
    return gap.model_copy(
        update={"status": GapStatus.RESOLVED, "resolution": value, "evidence": evidence}
    )


async def _reason(gap: Gap, ctx: GroundContext) -> Gap:
    expression = gap.expression
    for attempt in range(2):
        if expression:
            try:
                value = evaluate(expression, today=ctx.today)
            except ExpressionError as exc:
                ctx.tracer.warning(STEP, f"{gap.id}: {exc}")
            else:
                # The request's own units first ("18元", not "$18.00" for any price).
                unit = unit_of(expression, ctx.request.prompt) or gap.unit
                shown = with_unit(value, unit)
                note = Evidence(source=EvidenceSource.REASONING, snippet=f"{expression} = {shown}")
                update = {"expression": expression, "unit": unit}
                return _resolved(gap, shown, [note]).model_copy(update=update)
        if ctx.llm is None or attempt == 1:
            break
        expression = await write_program(
            ctx.llm, ctx.request.prompt, gap.question, ctx.tracer, STEP
        )
    return gap.model_copy(update={"status": GapStatus.UNRESOLVED})


def answers_knowledge(settings: Settings, tier: str) -> bool:
    """Whether knowledge gaps are answered from the model's knowledge, for a plan written by
    `tier` ("capable", "small" or "rules")."""
    if settings.knowledge_answers == "auto":
        return tier == "capable"
    return settings.knowledge_answers == "on"


async def _knowledge(gap: Gap, ctx: GroundContext) -> Gap:
    """General knowledge: the planner's answer if it gave one, else one focused question.
    A model that is not sure leaves the gap unresolved rather than guess. A model not trusted
    with knowledge (`knowledge_answers`) does not answer: the gap is looked up when search is
    on, else the renderer gets the user's words."""
    if not ctx.knowledge and _search_backend(ctx) is not None:
        return await _looked_up(gap, ctx)
    if ctx.llm is not None and not ctx.knowledge:
        ctx.warnings.append(
            f"{gap.span!r} is a general-knowledge question the planner model ({ctx.llm.id}) is"
            " not trusted to answer: left to the renderer as written (use a capable LLM, or"
            " IMAGENT_KNOWLEDGE_ANSWERS=on)"
        )
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED})
    if gap.proposed and gap.proposed.strip().lower() not in UNKNOWN:
        return _resolved(gap, gap.proposed.strip(), gap.evidence or [_why(gap.proposed)])
    if ctx.llm is None:
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED})
    messages = load_prompt("knowledge").messages(request=ctx.request.prompt, question=gap.span)
    found = await complete_structured(
        ctx.llm, messages, KnowledgeAnswer, tracer=ctx.tracer, step=STEP, max_tokens=160
    )
    answer = found.answer.strip()
    if answer.lower() in UNKNOWN:
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED})
    resolved = _resolved(gap, answer, [_why(found.why or answer)])
    return resolved.model_copy(update={"visual": found.look.strip()})


def _search_backend(ctx: GroundContext) -> Search | None:
    """The search backend, when there is one and the request allows searching."""
    return ctx.search if ctx.request.options.search else None


async def _looked_up(gap: Gap, ctx: GroundContext) -> Gap:
    """A knowledge question the model is not trusted to answer, answered from sources
    instead: extractive like any search, so the answer is a cited phrase or nothing."""
    ctx.tracer.decision(
        STEP,
        f"{gap.id}: {gap.span!r} is a knowledge question no model here is trusted to answer;"
        " looked up instead",
        gap_id=gap.id,
        by="evidence",
    )
    return await _search(gap, ctx)


def _why(text: str) -> Evidence:
    return Evidence(source=EvidenceSource.REASONING, title="general knowledge", snippet=text)


async def _search(gap: Gap, ctx: GroundContext) -> Gap:
    """Look it up: the planner's queries (or the phrase, dated when it is time-sensitive),
    the hits merged, the answer copied from the best clause of the freshest good source."""
    search = _search_backend(ctx)
    if search is None:
        return gap.model_copy(update={"status": GapStatus.UNRESOLVED})
    asked, day, names = _in_context(gap, ctx)
    queries = search_queries(gap, ctx.today, names=names, day=day)
    outcomes = await asyncio.gather(*(search.lookup(q, k=5) for q in queries))
    for warning in (w for outcome in outcomes for w in outcome.warnings):
        ctx.warnings.append(warning)
    hits = _of_the_year(_merged([hit for outcome in outcomes for hit in outcome.hits]), gap, ctx)
    if ages.asks_age(gap.span):
        aged = _age(gap.model_copy(update={"queries": queries}), asked, hits, ctx, day)
        if aged is not None:
            return aged
    # A fact that changes: the phrase says so, the request names the day it is about, or it
    # is a count that grows ("how many clean sheets he kept in his career").
    phrased = f"{gap.span} {' '.join(gap.queries)}"
    fresh = (
        day is not None
        or time_sensitive(phrased)
        or rules.has_search_cue(phrased)
        or counts.asks_how_many(gap.span)
    )
    shown = any(rules.contains_span(text, gap.span) for text in ctx.shown)
    found = await extract.answer_from_hits(
        asked, hits, ctx.llm, ctx.tracer, fresh_first=fresh, day=day, shown=shown
    )
    searched = gap.model_copy(update={"queries": queries})
    if found is None:
        ctx.tracer.decision(
            STEP,
            f"{gap.id}: nothing in {len(hits)} results answers {gap.span!r} "
            f"(searched {'; '.join(queries)})",
            gap_id=gap.id,
            by="evidence",
        )
        return searched.model_copy(update={"status": GapStatus.UNRESOLVED})
    value, evidence = found
    counted = counts.count_from_ordinal(gap.span, value) or counts.count_from_ordinal(
        gap.span, evidence.snippet
    )
    if counted is not None:  # "how many stars" answered by "a third star": 3 stars
        note = Evidence(source=EvidenceSource.REASONING, snippet=f"counted: {counted}")
        return _resolved(searched, counted, [evidence, note])
    value = counts.with_counted_noun(gap.span, evidence.snippet, value)
    resolved = _resolved(searched, value, [evidence])
    if shown and value != evidence.snippet.rstrip(" .。") and value in evidence.snippet:
        # The text shows the answer; the prompt also keeps what the source says leading up
        # to it ("Ember Road took the top spot … with $27.4 million"), when that says more
        # than the question did ("MVP: Tariq Benn" for the MVP's name says nothing more).
        visual = leading_to(evidence.snippet, value)
        if _says_more(visual, f"{value} {asked.span} {asked.question}"):
            return resolved.model_copy(update={"visual": visual})
    return resolved


def _says_more(text: str, than: str) -> bool:
    """Whether `text` has a word or a number (even one digit: "Episode 9") `than` lacks."""

    def words(t: str) -> set[str]:
        return extract.terms(t) | set(re.findall(r"\d+", t))

    return bool(words(text) - words(than))


def leading_to(sentence: str, value: str) -> str:
    """A sentence up to the end of the comma-separated part that holds `value`: what it says
    about the value, without what it adds after ("…, beating the old mark of 1:43.005")."""
    end = sentence.find(value) + len(value)
    after = re.search(r"[,;]\s|[，；]|,(?=[\u3400-\u9fff])", sentence[end:])
    return sentence[: end + after.start()] if after else sentence.rstrip(" .。")


def _age(
    gap: Gap, asked: Gap, hits: list[SearchHit], ctx: GroundContext, day: date | None
) -> Gap | None:
    """Someone's age: the birth date the best source states, and the age it gives on the day
    asked about ("the age she turns on Sunday"). None when no source states a birth date."""
    for candidate in extract.candidates(asked, hits, fresh_first=False):
        born = ages.birth_date(candidate.sentence)
        if born is None:
            continue
        age = ages.asked_age(gap.span, born, ctx.today, day)
        when = "-".join(str(part) for part in born if part is not None)
        note = Evidence(source=EvidenceSource.REASONING, snippet=f"born {when}; age asked: {age}")
        return _resolved(gap, str(age), [extract.evidence_of(candidate), note])
    return None


def _in_context(gap: Gap, ctx: GroundContext) -> tuple[Gap, date | None, list[str]]:
    """The phrase as the request means it: the names and the day the request gives that the
    phrase leaves out ("race-day forecast" in a request about Oslo this Sunday)."""
    missing = [n for n in named_things(ctx.request.prompt) if n.lower() not in gap.span.lower()]
    missing = list(dict.fromkeys(missing))[:3]
    day = target_day(gap.span, ctx.today) or target_day(ctx.request.prompt, ctx.today)
    if not missing:
        return gap, day, []
    question = f"{gap.question} ({', '.join(missing)})"
    return gap.model_copy(update={"question": question}), day, missing


_TIME_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|yesterday|this\s+(?:week|weekend|month|year|season)"
    r"|(?:next|last|past)\s+(?:week|weekend|month|night|season)|(?:on\s+)?the\s+weekend"
    r"|latest|current|newest|recent|upcoming|now|live)\b"
    r"|今天|今晚|明天|昨天|前天|后天|本周|这周|上周|下周|周末|最新|最近|目前|现在",
    re.IGNORECASE,
)


def time_sensitive(text: str) -> bool:
    return bool(_TIME_WORDS.search(text))


def search_queries(gap: Gap, today: date, *, names: list[str], day: date | None) -> list[str]:
    """The planner's queries, else the gap's phrase, with the names the request gives that
    they leave out; they carry the day the request names (`day`, from `_in_context`), or
    today's date when the phrase is time-sensitive, as sources write it."""
    queries = [q.strip() for q in gap.queries if q.strip()][:3] or [gap.span]
    if ages.asks_age(gap.span):  # the age is worked out from when they were born
        born = "出生" if re.search(r"[\u3400-\u9fff]", gap.span) else "born"
        queries = [q if born in q else f"{q} {born}" for q in queries]
    if names:
        queries = [
            q if any(n.lower() in q.lower() for n in names) else f"{q} {' '.join(names)}"
            for q in queries
        ]
    if day is None and not time_sensitive(gap.span):
        return queries
    day = day or today
    stamp = _date_words(day, gap.span)
    return [q if day.isoformat() in q else f"{q} {stamp}" for q in queries]


def _date_words(day: date, span: str) -> str:
    """The date as sources write it: "2026-11-26 November 26", "2026-11-26 11月26日"."""
    if re.search(r"[\u3400-\u9fff]", span):
        weekday = "一二三四五六日"[day.weekday()]
        return f"{day.isoformat()} {day.month}月{day.day}日 周{weekday}"
    return f"{day.isoformat()} {day:%A} {day:%B} {day.day}"


_THIS_YEAR = re.compile(r"\bthis\s+year\b|今年|本年度", re.IGNORECASE)


def _of_the_year(hits: list[SearchHit], gap: Gap, ctx: GroundContext) -> list[SearchHit]:
    """For "this year's Coral Bowl", a page dated in an earlier year cannot tell about it
    ("Last year's Coral Bowl MVP was …"): dropped, when pages of this year answer instead."""
    if not _THIS_YEAR.search(f"{gap.span} {' '.join(gap.queries)}"):
        return hits
    year = str(ctx.today.year)
    current = [h for h in hits if not h.date or h.date[:4] >= year]
    if len(current) == len(hits) or not any(h.date for h in current):
        return hits
    ctx.tracer.decision(
        STEP,
        f"{gap.id}: {len(hits) - len(current)} result(s) dated before {year} set aside:"
        f" the lookup for {gap.span!r} is about this year",
        gap_id=gap.id,
        by="evidence",
    )
    return current


def _merged(hits: list[SearchHit]) -> list[SearchHit]:
    """Hits from several queries, each page once (the best-scored copy)."""
    seen: dict[str, SearchHit] = {}
    for hit in hits:
        key = hit.url or f"{hit.title}|{hit.text[:80]}"
        if key not in seen or hit.score > seen[key].score:
            seen[key] = hit
    return list(seen.values())


async def _memory(gap: Gap, ctx: GroundContext) -> Gap:
    found = await recall(gap, ctx)
    if found is not None:
        return found
    search = _search_backend(ctx)
    if search is not None and search.local and _asks_a_fact(gap.span):
        # Nothing remembered, but the user's own documents may say it ("our rowing club's
        # new head coach", with the club's newsletters added to the knowledge base).
        looked = await _search(gap, ctx)
        if looked.status is GapStatus.RESOLVED:
            ctx.tracer.decision(
                STEP,
                f"{gap.id}: nothing remembered for {gap.span!r}; found in your documents",
                gap_id=gap.id,
                by="evidence",
            )
            return looked
    if ctx.request.options.mode is AskMode.ASK:
        return gap.model_copy(update={"status": GapStatus.ASKED})
    return gap.model_copy(update={"status": GapStatus.UNRESOLVED})


def _asks_a_fact(span: str) -> bool:
    """A phrase about the user that asks for a fact ("our club's new head coach", "my
    team's score") rather than a taste ("my usual style"), which documents cannot settle."""
    return rules.has_search_cue(span) or rules.names_a_value(span) or rules.refers_to_a_value(span)


async def _ask(gap: Gap, ctx: GroundContext) -> Gap:
    if ctx.request.options.mode is AskMode.ASK:
        return gap.model_copy(update={"status": GapStatus.ASKED})
    found = await recall(gap, ctx)
    return found or gap.model_copy(update={"status": GapStatus.UNRESOLVED})
