"""Extractive grounding over untrusted text.

A resolution is always words copied from a source: the best-matching sentence, or a shorter
phrase the model points at that is verified to occur verbatim in that source. Sentences
that address the agent ("ignore previous instructions…") are dropped before anything sees
them, and the text never reaches a system prompt, so a source cannot steer the agent.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from imagent.agent.structured import complete_structured
from imagent.agent.trace import Tracer
from imagent.backends.llm.base import LLM
from imagent.backends.search.base import SearchHit
from imagent.core.types import Evidence, EvidenceSource, Gap
from imagent.prompts import load_prompt

MAX_RESOLUTION_CHARS = 240
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")
_WORD = re.compile(r"[\w$%°]+", re.UNICODE)
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
_INJECTION = re.compile(
    r"(?i)\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instruction|prompt|rule|previous|above)s?"
    r"|\b(?:system prompt|you are now|as an ai|new instructions?|assistant:|\[\[?system)"
    r"|\b(?:draw|render|generate|paint)\s+(?:instead|only)\b"
)


class Extraction(BaseModel):
    answer: str = Field(default="", max_length=MAX_RESOLUTION_CHARS)
    source: int = Field(default=0, ge=0, le=20)


def is_instruction_like(text: str) -> bool:
    """Whether `text` addresses the agent rather than stating a fact."""
    return bool(_INJECTION.search(text))


def sentences(text: str) -> list[str]:
    parts = (s.strip() for s in _SENTENCE.split(text))
    return [s for s in parts if s and not is_instruction_like(s)]


def _terms(text: str) -> set[str]:
    return {w for w in (t.lower() for t in _WORD.findall(text)) if w not in _STOP and len(w) > 1}


def _overlap(query: set[str], passage: str) -> float:
    terms = _terms(passage)
    if not terms or not query:
        return 0.0
    return float(len(query & terms) / (len(query) ** 0.5 * len(terms) ** 0.25))


def best_passage(query: str, passages: list[str]) -> str | None:
    """The passage sharing most terms with `query` (instruction-like ones excluded)."""
    wanted = _terms(query)
    scored = [
        (_overlap(wanted, p), p) for p in passages if p.strip() and not is_instruction_like(p)
    ]
    scored = [(s, p) for s, p in scored if s > 0]
    return max(scored, key=lambda sp: sp[0])[1][:MAX_RESOLUTION_CHARS] if scored else None


def _ranked_sentences(gap: Gap, hits: list[SearchHit]) -> list[tuple[float, str, SearchHit]]:
    wanted = _terms(f"{gap.span} {gap.question}")
    ranked = [
        (_overlap(wanted, sentence), sentence, hit)
        for hit in hits
        for sentence in sentences(hit.text)
    ]
    return sorted((r for r in ranked if r[0] > 0), key=lambda r: -r[0])


def _evidence(hit: SearchHit, snippet: str) -> Evidence:
    return Evidence(source=EvidenceSource.WEB, title=hit.title, url=hit.url, snippet=snippet)


async def answer_from_hits(
    gap: Gap, hits: list[SearchHit], llm: LLM | None, tracer: Tracer
) -> tuple[str, Evidence] | None:
    """A verbatim answer for `gap` from `hits`, with its evidence; None if nothing answers."""
    ranked = _ranked_sentences(gap, hits)[:5]
    if not ranked:
        return None
    _, best_sentence, best_hit = ranked[0]
    if llm is not None:
        phrase = await _model_phrase(gap, ranked, llm, tracer)
        if phrase is not None:
            answer, sentence, hit = phrase
            return answer, _evidence(hit, sentence)
    return best_sentence[:MAX_RESOLUTION_CHARS], _evidence(best_hit, best_sentence)


async def _model_phrase(
    gap: Gap, ranked: list[tuple[float, str, SearchHit]], llm: LLM, tracer: Tracer
) -> tuple[str, str, SearchHit] | None:
    sources = "\n".join(f"[{i}] {sentence}" for i, (_, sentence, _) in enumerate(ranked))
    messages = load_prompt("extract").messages(question=gap.question, sources=sources)
    picked = await complete_structured(llm, messages, Extraction, tracer=tracer, step="ground")
    answer = picked.answer.strip()
    if not answer or picked.source >= len(ranked):
        return None
    _, sentence, hit = ranked[picked.source]
    if answer.lower() not in sentence.lower():
        tracer.decision(
            "ground", f"{gap.id}: model answer {answer!r} is not in its source; kept the sentence"
        )
        return None
    start = sentence.lower().index(answer.lower())
    return sentence[start : start + len(answer)], sentence, hit
