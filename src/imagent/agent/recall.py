"""The memory route: what "my usual style", "our brand colours" or "the logo we made
yesterday" mean for this user, from their profile and earlier turns.

Only an entry that says what the phrase means can answer it: a profile value, a statement
("my dog is a golden retriever named Biscuit", "I've gone vegan"), or, for a phrase that
points back ("same as last time", "the banner from before"), the earlier request it points
to. An earlier request that merely shares words with the phrase does not. The newest entry
wins where entries disagree, and the answer is copied words, checked verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from imagent.agent import extract, rules
from imagent.agent.structured import complete_structured
from imagent.core.types import Evidence, EvidenceSource, Gap, GapStatus
from imagent.memory.base import MemoryEntry
from imagent.prompts import load_prompt

if TYPE_CHECKING:
    from imagent.agent.ground import GroundContext

MAX_NOTES = 8
MAX_RESOLUTION_CHARS = 240
_POINTS_BACK = re.compile(
    r"\b(?:last\s+time|before|earlier|previous|yesterday|again|we\s+(?:made|did|drew|designed|had)"
    r"|from\s+before|same|usual|redo|the\s+one)\b|上次|之前|以前|昨天|那张|那个|老样子|还是|再",
    re.IGNORECASE,
)
# An image request as users write them: an imperative, or an image noun up front
# ("a thank-you card for Sam", "Banner: 'Spring Fair' …", "帮我画…").
_REQUEST = re.compile(
    r"^\W*(?:please\s+)?(?:make|draw|create|design|generate|render|paint|can\s+you|could\s+you"
    r"|i\s+(?:need|want)|give\s+me)\b"
    r"|^\W*(?:(?:a|an|the|one|some)\s+)?(?:[\w'-]+\s+){0,3}?(?:card|poster|logo|banner|flyer"
    r"|image|picture|illustration|photo|drawing|icon|mascot|sticker|menu|invitation|avatar"
    r"|portrait|sign|shot|wallpaper|cover)s?\b(?!\s+(?:is|are|was|were)\b)"
    r"|^\W*(?:帮我|给我|请|画|做|设计|生成)",
    re.IGNORECASE,
)


class Recalled(BaseModel):
    phrases: list[str] = Field(default_factory=list, max_length=6)


@dataclass(frozen=True)
class Note:
    text: str
    entry: MemoryEntry


async def recall(gap: Gap, ctx: GroundContext) -> Gap | None:
    """The gap resolved from the user's memory, or None when nothing there says."""
    if ctx.memory is None:
        return None
    notes = await _notes(gap, ctx)
    if not notes:
        return None
    phrases = await _model_phrases(gap, notes, ctx) if ctx.llm is not None else []
    if not phrases:
        best = _best(gap, notes)
        if best is None:
            return None
        phrases = [best.text]
    value = "; ".join(phrases)[:MAX_RESOLUTION_CHARS]
    sources = [n for n in notes if any(p.lower() in n.text.lower() for p in phrases)] or notes[-1:]
    evidence = [
        Evidence(
            source=EvidenceSource.MEMORY,
            title=f"{n.entry.role} ({n.entry.kind})",
            snippet=n.text[:300],
            retrieved_at=n.entry.created_at,
        )
        for n in sources
    ]
    return gap.model_copy(
        update={"status": GapStatus.RESOLVED, "resolution": value, "evidence": evidence}
    )


async def _notes(gap: Gap, ctx: GroundContext) -> list[Note]:
    """The entries that may say what the phrase means, oldest first."""
    user = ctx.request.user_id
    history = await ctx.memory.history(user, limit=200) if ctx.memory else []
    points_back = bool(_POINTS_BACK.search(gap.span))
    notes: list[Note] = []
    for entry in history:
        if entry.kind == "choice":
            continue  # the agent's own prompts: what the user said is the record
        for line in _lines(entry):
            if _may_define(line, entry, gap.span, points_back):
                notes.append(Note(line, entry))
    wanted = extract.terms(f"{gap.span} {ctx.request.prompt}")
    scored = [(extract.overlap(wanted, n.text), i, n) for i, n in enumerate(notes)]
    kept = sorted(sorted(scored, key=lambda s: -s[0])[:MAX_NOTES], key=lambda s: s[1])
    return [n for score, _, n in kept if score > 0 or points_back]


def _lines(entry: MemoryEntry) -> list[str]:
    if entry.kind == "profile":
        return [line.strip() for line in entry.content.splitlines() if ":" in line]
    return [entry.content.strip()]


def _may_define(text: str, entry: MemoryEntry, span: str, points_back: bool) -> bool:
    """A request is not a definition: one that repeats the phrase ("make a card in my usual
    style") only uses it, unless it also says what it is ("… my usual style is linocut");
    one for something else counts only when the phrase points back to an earlier request."""
    if not (entry.role == "user" and entry.kind == "message" and _REQUEST.search(text)):
        return True
    if rules.contains_span(text, span):
        pattern = rules.span_pattern(span) + r"\s*(?:is|are|was|were|=|:|-|叫|是)\s*\S"
        return re.search(pattern, text, re.IGNORECASE) is not None
    return points_back


def _best(gap: Gap, notes: list[Note]) -> Note | None:
    """Without a model: the best-matching note, the newer one when two match alike."""
    wanted = extract.terms(gap.span)
    scored = [(extract.overlap(wanted, n.text), i, n) for i, n in enumerate(notes)]
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        return None
    top = max(s[0] for s in scored)
    return max((s for s in scored if s[0] >= 0.8 * top), key=lambda s: s[1])[2]


async def _model_phrases(gap: Gap, notes: list[Note], ctx: GroundContext) -> list[str]:
    assert ctx.llm is not None
    listing = "\n".join(f'[{i}] "{n.text}"' for i, n in enumerate(notes, start=1))
    messages = load_prompt("recall").messages(
        request=ctx.request.prompt, phrase=gap.span, notes=listing
    )
    found = await complete_structured(
        ctx.llm, messages, Recalled, tracer=ctx.tracer, step="ground", max_tokens=200
    )
    texts = [n.text.lower() for n in notes]
    verified = [
        p.strip() for p in found.phrases if p.strip() and any(p.strip().lower() in t for t in texts)
    ]
    if len(verified) < len([p for p in found.phrases if p.strip()]):
        ctx.tracer.decision(
            "ground", f"{gap.id}: dropped recalled words not found in memory", by="evidence"
        )
    return list(dict.fromkeys(verified))
