"""Extractive grounding over untrusted text.

Retrieved text is data. A resolution is always words copied from a source: the clause that
best answers the question, or a shorter phrase the model points at that is verified to
occur verbatim in that clause. Three layers keep an injected instruction out of the prompt:

1. Text is normalised first (NFKC; zero-width, bidi and tag characters removed), so an
   obfuscated instruction cannot hide from the checks below.
2. A sentence that speaks to its reader rather than about the world is not evidence: a role
   marker ("SYSTEM:", "Assistant:", chat-template tokens), the imperative mood (it opens
   with a bare verb), or words addressed to an AI or to "you". These are shapes of speech,
   not a list of bad payloads.
3. Only the clause that answers the question is used, and only its answer phrase reaches
   the prompt; a value longer than a short phrase is cut to the clause that shares most
   words with the question. The model never sees sources in its system prompt.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field

from imagent.agent.dates import relative_day
from imagent.agent.rules import names_a_value
from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.backends.search.base import SearchHit
from imagent.core.types import Evidence, EvidenceSource, Gap
from imagent.prompts import load_prompt

MAX_RESOLUTION_CHARS = 160
MAX_CANDIDATES = 6
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_CLAUSE = re.compile(r"\s+[—–-]{1,2}\s+|;\s*|；|\s*\|\s*")
_WORD = re.compile(r"[\w$%°℃]+", re.UNICODE)
_INVISIBLE = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_ROLE = re.compile(
    r"^\W*(?:system|assistant|user|developer|tool|human|ai|model|instructions?|note\s+to\s+\w+"
    r"|admin|moderator|operator|系统|助手|用户|指令)\b[^:：]{0,24}[:：]"
    r"|<\|[^|>]{1,30}\|>|\[/?(?:INST|SYS|SYSTEM)\]|</?[a-z_]{2,30}>|<<\s*SYS",
    re.IGNORECASE,
)
_BARE_VERB = re.compile(
    r"^\W*(?:(?:please|also|and|now|then|first|finally|instead|just|kindly|请|务必|另外|同时)\W+)*"
    r"(?:add|append|include|insert|write|draw|render|paint|generate|make|put|place|replace|change"
    r"|ignore|disregard|forget|override|use|show|display|print|output|return|respond|reply|say"
    r"|remove|delete|set|switch|stop|start|visit|click|go|tell|answer|pretend|act|become|treat"
    r"|translate|summari[sz]e|follow|obey|do|don't|never|always|make\s+sure|be\s+sure"
    r"|添加|加上|写上|画|生成|忽略|替换|改成|输出|回复|访问)\b",
    re.IGNORECASE,
)
# Words for a machine reading the text; with words to "you" and "any image", words addressed
# to the reader.
_MACHINE = (
    r"\bAI\b|\b(?:assistant|chatbot|language\s+model|LLM|image\s+(?:generator|model)|the\s+agent"
    r"|this\s+prompt|previous\s+instructions|system\s+prompt)\b|人工智能|模型|助手"
)
_ADDRESSED = re.compile(
    rf"\b(?:you|your|you're|yourself)\b|\bany\s+(?:image|picture|poster|banner)\b|你|您|{_MACHINE}",
    re.IGNORECASE,
)
_TO_A_MACHINE = re.compile(rf"{_MACHINE}|指令", re.IGNORECASE)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "by",
        "with",
        "from",
        "as",
        "that",
        "this",
        "it",
        "its",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "show",
        "showing",
        "poster",
        "image",
        "picture",
        "my",
        "our",
        "your",
    ]
)


class Extraction(BaseModel):
    answer: str = Field(default="", max_length=MAX_RESOLUTION_CHARS)
    source: int = Field(default=0, ge=0, le=20)


def clean(text: str) -> str:
    """NFKC-normalised text without invisible characters."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def speaks_to_the_reader(text: str) -> bool:
    """Whether `text` addresses its reader (an instruction) rather than stating a fact."""
    text = clean(text).strip()
    return bool(_ROLE.search(text) or _BARE_VERB.search(text) or _ADDRESSED.search(text))


is_instruction_like = speaks_to_the_reader  # the name earlier callers use


def tries_to_instruct(hit: SearchHit) -> bool:
    """Whether a page carries words for the machine reading it (a role marker, or text
    addressed to an AI): such a page is not a trustworthy source, even where its other
    sentences read as facts. Words to a human reader ("you'll love it") do not count."""
    text = clean(f"{hit.title}\n{hit.text}")
    return any(
        _ROLE.search(s) or _TO_A_MACHINE.search(s) for s in _SENTENCE.split(text) if s.strip()
    )


def sentences(text: str) -> list[str]:
    """The factual sentences of `text`: cleaned, and without those that address the reader.
    A numbered list stays one sentence ("Standings: 1. Quillon, 2. Marrowgate"): a period
    after a list number does not end it."""
    parts: list[str] = []
    for part in (s.strip() for s in _SENTENCE.split(clean(text))):
        if parts and _LIST_NUMBER.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {part}"
        elif part:
            parts.append(part)
    return [s for s in parts if s and not speaks_to_the_reader(s)]


_LIST_NUMBER = re.compile(r"(?:^|[:,;(]\s*)\d{1,2}\.$")


def terms(text: str) -> set[str]:
    """The words of `text` that carry meaning; Chinese by character pairs only (a run of
    characters is no word: "周六音乐会" and "周六音乐会的地点" share every pair)."""
    text = clean(text)
    latin = _CJK_CHAR.sub(" ", text)
    words = {w for w in (t.lower() for t in _WORD.findall(latin)) if len(w) > 1}
    words = {singular(w) for w in words if w not in _STOP}
    cjk = "".join(_CJK_CHAR.findall(text))
    return words | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")


def singular(word: str) -> str:
    """An English plural folded to its singular, so "Emmys" meets "Emmy" and "stories" meets
    "story"; words that only end in s ("bus", "this", "glass") are left alone."""
    if len(word) > 4 and word.endswith("ies"):
        return f"{word[:-3]}y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def overlap(query: set[str], passage: str) -> float:
    found = terms(passage)
    if not found or not query:
        return 0.0
    return float(len(query & found) / (len(query) ** 0.5 * len(found) ** 0.25))


def best_passage(query: str, passages: list[str]) -> str | None:
    """The passage sharing most terms with `query` (those addressing the reader excluded)."""
    wanted = terms(query)
    scored = [
        (overlap(wanted, p), p) for p in passages if p.strip() and not speaks_to_the_reader(p)
    ]
    scored = [(s, p) for s, p in scored if s > 0]
    return max(scored, key=lambda sp: sp[0])[1][:MAX_RESOLUTION_CHARS] if scored else None


@dataclass(frozen=True)
class Candidate:
    """A sentence that may answer the gap, the hit it came from, how well it matches, and
    whether it speaks of the day the request names."""

    score: float
    sentence: str
    hit: SearchHit
    on_day: bool = False
    trusted: bool = True


CLOSE_WHEN_CHANGING = 0.6  # a fact said to change: a newer page wins if nearly as relevant
CLOSE = 0.8  # any other fact: a newer page wins a near tie


def candidates(
    gap: Gap, hits: list[SearchHit], fresh_first: bool, day: date | None = None
) -> list[Candidate]:
    """Answer-bearing sentences, best first. Among sentences that match about as well as the
    best, the newest source comes first (a stale page loses); for a fact the request says
    changes (`fresh_first`: "tomorrow", "latest", a named day), "about as well" is looser.
    When the request names a day, a sentence (or its page's title) naming it scores higher."""
    wanted = terms(f"{gap.span} {gap.question} {' '.join(gap.queries)}")
    found = []
    for hit in hits:
        # A page that tries to instruct its reader is a source of last resort: it answers
        # only where it is clearly more to the point than every other page.
        trust = UNTRUSTED_WEIGHT if tries_to_instruct(hit) else 1.0
        for s in sentences(hit.text):
            if not terms(s) - wanted:  # a heading that only repeats the question answers nothing
                continue
            on_day = day is not None and speaks_of_day(day, s, hit)
            score = trust * _score(wanted, s, hit) + DAY_BONUS * on_day
            found.append(Candidate(score, s, hit, on_day, trust == 1.0))
    found = sorted((c for c in found if c.score > 0), key=lambda c: -c.score)
    if found:
        cutoff = (CLOSE_WHEN_CHANGING if fresh_first else CLOSE) * found[0].score
        close = [c for c in found if c.score >= cutoff]
        rest = [c for c in found if c not in close]
        # The day asked for first, then the newest page: a fresh page about another day loses.
        close.sort(key=lambda c: (c.trusted, c.on_day, c.hit.date or "", c.score), reverse=True)
        found = close + rest
    return found[:MAX_CANDIDATES]


DAY_BONUS = 0.15
UNTRUSTED_WEIGHT = 0.5


@functools.lru_cache(maxsize=32)
def day_pattern(day: date) -> re.Pattern[str]:
    """How sources write a day: "26 November", "Nov 26", "2026-11-26", "11月26日", "26日"."""
    month, short = f"{day:%B}", f"{day:%b}"
    forms = [
        rf"\b{day.day}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{month}|{short}\.?)(?![a-z])",
        rf"\b(?:{month}|{short}\.?)\s+{day.day}(?:st|nd|rd|th)?\b",
        rf"\b{day.isoformat()}\b",
        rf"(?<!\d){day.month}\s*月\s*{day.day}\s*[日号]",
        rf"(?<![\d月]){day.day}\s*[日号]",
    ]
    return re.compile("|".join(forms), re.IGNORECASE)


def speaks_of_day(day: date, sentence: str, hit: SearchHit) -> bool:
    """Whether a sentence (or its page's title) is about `day`: it names the date, or says
    "tomorrow", "today"… on a page published the day before, the same day…"""
    if day_pattern(day).search(f"{hit.title} {sentence}"):
        return True
    if not hit.date:
        return False
    return relative_day(sentence, date.fromisoformat(hit.date)) == day


def _score(wanted: set[str], sentence: str, hit: SearchHit) -> float:
    """How well a sentence answers: its own words, read with its page's title ("Chengdu,
    26 Nov" + "light rain, 8-13 °C"), and a little for values it adds (numbers, amounts)."""
    own = overlap(wanted, sentence)
    titled = overlap(wanted, f"{clean(hit.title)} {sentence}")
    values = {t for t in terms(sentence) - wanted if any(ch.isdigit() for ch in t)}
    return 0.6 * own + 0.4 * titled + 0.05 * min(4, len(values))


def answer_clause(candidate: Candidate, gap: Gap, day: date | None = None) -> str:
    """The part of a sentence that answers: the clause sharing most words with the question
    (one naming the request's day first: "26日：小雪；27日：晴"), after a colon when the
    sentence names its topic first ("Paris tomorrow: light rain")."""
    sentence = candidate.sentence.rstrip(" .。")
    clauses = [c.strip() for c in _CLAUSE.split(sentence) if c.strip()]
    clauses = _about_day(clauses, day) or clauses
    wanted = terms(f"{gap.span} {gap.question}")
    best = max(clauses, key=lambda c: overlap(wanted, c)) if clauses else sentence
    head, colon, tail = _topic_first(best)
    names_the_day = day is not None and day_pattern(day).search(head)
    if colon and tail.strip() and (terms(head) & wanted or names_the_day):
        best = tail.strip()
    return best[:MAX_RESOLUTION_CHARS]


_TOPIC_COLON = re.compile(r":(?=\s|[^\x00-\x7f])\s*|：\s*")


def _topic_first(text: str) -> tuple[str, str, str]:
    """A sentence split where it names its topic first: "Paris tomorrow: light rain", "27日：晴"."""
    found = _TOPIC_COLON.search(text)
    if found is None:
        return text, "", ""
    return text[: found.start()], found.group(0), text[found.end() :]


def evidence_of(candidate: Candidate) -> Evidence:
    hit = candidate.hit
    return Evidence(
        source=EvidenceSource.WEB,
        title=clean(hit.title),
        url=hit.url,
        snippet=candidate.sentence,
        date=hit.date,
    )


async def answer_from_hits(
    gap: Gap,
    hits: list[SearchHit],
    llm: LLM | None,
    tracer: Tracer,
    *,
    fresh_first: bool = False,
    day: date | None = None,
    shown: bool = False,
) -> tuple[str, Evidence] | None:
    """A verbatim answer for `gap` from `hits`, with its evidence; None if nothing answers.

    The model is asked only when the evidence needs choosing: several sources answer and
    they say different things; or when the answer is drawn as text (`shown`) and the best
    clause is longer than a value on an image (it then points at the words that answer)."""
    found = await _answer(gap, hits, llm, tracer, fresh_first=fresh_first, day=day, shown=shown)
    if found is None:
        return None
    answer, evidence = found
    typed = marked_title(answer, gap) or typed_value(answer, gap)
    if typed is not None and typed != answer:
        tracer.decision("ground", f"{gap.id}: {gap.span!r} is the one {typed!r} in {answer!r}")
        return typed, evidence.model_copy(update={"snippet": answer})
    return found


_ASKS_TITLE = re.compile(
    r"名字|名称|叫什么|歌名|片名|书名|剧名|专辑名|\btitles?\b|\bnames?\b|\bcalled\b", re.IGNORECASE
)
_MARKED_TITLE = re.compile(r"《[^《》]{1,40}》|“([^“”]{1,40})”|\"([^\"]{1,40})\"")


def marked_title(answer: str, gap: Gap) -> str | None:
    """The one title a source marks in its answer (《雪落无声》, "Glass Harbour") when the
    question asks for a name or title; None when it asks for something else or the answer
    marks no title or several."""
    if not _ASKS_TITLE.search(gap.span):
        return None
    marked = list(_MARKED_TITLE.finditer(answer))
    if len(marked) != 1:
        return None
    found = marked[0]
    return found.group(1) or found.group(2) or found.group(0)


# What a described value looks like in a source: "the final score" is a "3–1", "her
# finishing time" a "2:19:48", "the closing price" a "$41.20".
_TYPED = (
    (
        re.compile(r"\bscores?\b|比分", re.IGNORECASE),
        re.compile(r"(?<![\d:.])\d{1,3}\s?[–—:-]\s?\d{1,3}(?![\d:.])"),
    ),
    (
        re.compile(r"\btimes?\b|用时|耗时", re.IGNORECASE),
        re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?:\.\d{1,3})?(?![\d:])"),
    ),
    (
        re.compile(r"\bprices?\b|价格|股价|收盘价", re.IGNORECASE),
        re.compile(r"[$€£¥]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:元|美元|港元|欧元)"),
    ),
)


def typed_value(answer: str, gap: Gap) -> str | None:
    """For a described value of one kind ("the final score", "her finishing time"), the one
    value of that kind its answer holds; None when the description asks for several things,
    for another kind, or the answer holds none or several."""
    if not names_a_value(gap.span):
        return None
    kinds = [shape for asks, shape in _TYPED if asks.search(gap.span)]
    if len(kinds) != 1 or re.search(r"\band\b|和|与|及", gap.span):
        return None
    found = kinds[0].findall(answer)
    return found[0].strip() if len(found) == 1 else None


async def _answer(
    gap: Gap,
    hits: list[SearchHit],
    llm: LLM | None,
    tracer: Tracer,
    *,
    fresh_first: bool,
    day: date | None,
    shown: bool,
) -> tuple[str, Evidence] | None:
    ranked = candidates(gap, hits, fresh_first, day)
    if not ranked:
        return None
    best = ranked[0]
    # For a fact that changes, an older page is never the answer: the model is not offered it.
    # Nor a page that tries to instruct, when a trustworthy one answers first.
    offered = [
        c
        for c in ranked
        if not (fresh_first and _older(c, ranked)) and (c.trusted or not best.trusted)
    ]
    if llm is not None and _needs_choosing(offered):
        phrase = await _model_phrase(gap, offered, llm, tracer, day, fresh_first)
        if phrase is not None:
            answer, chosen = phrase
            return answer, evidence_of(chosen)
    clause = answer_clause(best, gap, day)
    if llm is not None and _long(clause) and (shown or len(other_names(clause, gap)) >= 2):
        # Drawn as text, or one of several things the clause names ("1. Quillon, 2. Marrowgate",
        # "Studio Kestrel, taking over from Lumen Works"): the words that answer, not the
        # whole clause of the source (which stays in the evidence).
        phrase = await _model_phrase(gap, [best], llm, tracer, day, fresh_first)
        if phrase is not None and len(phrase[0]) < len(clause):
            return phrase[0], evidence_of(best).model_copy(update={"snippet": clause})
    return clause, evidence_of(best)


SHORT_WORDS = 6


def _long(clause: str) -> bool:
    """Longer than a value printed on an image: a few words, or a dozen Chinese characters."""
    cjk = len(re.findall(r"[\u3400-\u9fff]", clause))
    return cjk > 2 * SHORT_WORDS if cjk else len(clause.split()) > SHORT_WORDS


_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'’-]*)*|《[^》]+》")


_CALENDAR = frozenset(
    name.lower()
    for names in (calendar.month_name, calendar.month_abbr, calendar.day_name, calendar.day_abbr)
    for name in names
    if name
)


def other_names(clause: str, gap: Gap) -> list[str]:
    """The names in a clause that the question does not mention: people, teams, titles."""
    asked = terms(f"{gap.span} {gap.question}")
    found = [
        m.group(0)
        for m in _NAME.finditer(clause)
        if m.start() > 0 or " " in m.group(0)  # not a sentence's capitalised first word
    ]
    return [n for n in dict.fromkeys(found) if terms(n) - asked - _CALENDAR]


def _needs_choosing(ranked: list[Candidate]) -> bool:
    """Sources disagree: two close candidates from different pages with different words."""
    if len(ranked) < 2:
        return False
    first, second = ranked[0], ranked[1]
    different_page = (first.hit.url or first.hit.title) != (second.hit.url or second.hit.title)
    return (
        different_page and second.score >= 0.8 * first.score and first.sentence != second.sentence
    )


def _repeats_the_question(answer: str, gap: Gap) -> bool:
    """An answer made only of the question's own words tells nothing ("Skyforge Arena World
    Finals" for who won the Skyforge Arena World Finals)."""
    asked = f"{gap.span} {gap.question}".lower()
    words = re.findall(r"[^\W_]+", answer.lower())
    if re.search(r"[\u3400-\u9fff]", answer):
        return answer.lower().strip() in asked
    return bool(words) and all(w in re.findall(r"[^\W_]+", asked) for w in words)


async def _model_phrase(
    gap: Gap,
    ranked: list[Candidate],
    llm: LLM,
    tracer: Tracer,
    day: date | None,
    fresh_first: bool,
) -> tuple[str, Candidate] | None:
    sources = "\n".join(
        f"[{i}] ({c.hit.date or 'undated'}) {c.sentence}" for i, c in enumerate(ranked)
    )
    messages = load_prompt("extract").messages(question=gap.question, sources=sources)
    picked = await complete_structured(llm, messages, Extraction, tracer=tracer, step="ground")
    answer = clean(picked.answer).strip()
    if not answer or picked.source >= len(ranked):
        return None
    chosen = ranked[picked.source]
    at = chosen.sentence.lower().find(answer.lower())
    rejected = (
        _rejected(answer, at, chosen, gap, day)
        or _another_day(chosen, ranked)
        or (_older(chosen, ranked) if fresh_first else "")
    )
    if rejected:
        tracer.decision(
            "ground",
            f"{gap.id}: the model's answer {answer!r} {rejected}; kept the best-matching clause",
            by="evidence",
        )
        return None
    return with_unit(chosen.sentence, at, at + len(answer)), chosen


_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_UNIT_AFTER = re.compile(
    r"[\u3400-\u9fff]{1,4}|\s?(?!(?:on|in|at|to|for|from|by|and|or|with|of|the|a|an|after"
    r"|before|as|than|is|was|were|are)\b)[A-Za-z%°][\w%°]*"
)


def with_unit(sentence: str, start: int, end: int) -> str:
    """A number the model pointed at, with the unit or counted noun that follows it in its
    source: "3" of "获得3枚金牌" is "3枚金牌", "211" of "in 211 days" is "211 days"."""
    phrase = sentence[start:end]
    if not _BARE_NUMBER.fullmatch(phrase):
        return phrase
    unit = _UNIT_AFTER.match(sentence, end)
    return sentence[start : unit.end()] if unit else phrase


def _older(chosen: Candidate, ranked: list[Candidate]) -> str:
    """For a fact that changes, the first candidate is from the freshest good page: the model
    may choose among what that page's date says, not go back to an older page."""
    first = ranked[0].hit.date
    if first and chosen.hit.date and chosen.hit.date < first and chosen.on_day == ranked[0].on_day:
        return f"is from a page of {chosen.hit.date}, older than one of {first} that answers too"
    return ""


def _another_day(chosen: Candidate, ranked: list[Candidate]) -> str:
    if not chosen.on_day and any(c.on_day for c in ranked):
        return "is from a source about another day than the one asked for"
    return ""


def _rejected(answer: str, at: int, chosen: Candidate, gap: Gap, day: date | None) -> str:
    """Why the model's phrase cannot be the answer ("" when it can)."""
    if _repeats_the_question(answer, gap):
        return "only repeats the question"
    if at < 0 or speaks_to_the_reader(answer):
        return "is not a phrase of its source"
    dated = _about_day(_CLAUSE.split(chosen.sentence), day)
    if dated and not any(answer.lower() in c.lower() for c in dated):
        return "is not from the part of its source about the day asked for"
    return ""


def _about_day(clauses: list[str], day: date | None) -> list[str]:
    """The clauses that name `day` ("27日：晴" of "26日：小雪；27日：晴"); none without a day."""
    if day is None:
        return []
    return [c for c in clauses if day_pattern(day).search(c)]
