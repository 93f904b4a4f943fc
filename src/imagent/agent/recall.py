"""The memory route: what "my usual style", "our brand colours" or "the logo we made
yesterday" mean for this user, from their profile and earlier turns.

Only an entry that says what the phrase means can answer it: a profile value, a statement
("my dog is a golden retriever named Biscuit", "I've gone vegan"), or, for a phrase that
points back ("same as last time", "the banner from before"), the earlier request it points
to. An earlier request that merely shares words with the phrase does not. The newest entry
wins where entries disagree, and the answer is copied words, checked verbatim.

The model picks the words; `stand_for` keeps what they stand for and what later notes
change in it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from imagent.agent import extract, rules
from imagent.agent.memory_notes import (
    MADE_THINGS,
    POINTS_BACK,
    REQUEST,
    SELF,
    Note,
    lines,
    made_by,
    may_define,
    someone_elses,
)
from imagent.agent.planning.gaps import overlaps_text
from imagent.agent.stand_for import made_before, stand_for
from imagent.agent.structured import complete_structured
from imagent.core.types import Evidence, EvidenceSource, Gap, GapRoute, GapStatus, Request
from imagent.memory.base import Memory
from imagent.prompts import load_prompt

if TYPE_CHECKING:
    from imagent.agent.ground import GroundContext

MAX_NOTES = 8  # offered to the model; a longer memory is narrowed by shared words
MAX_RESOLUTION_CHARS = 400
HISTORY_LIMIT = 200  # the newest entries of a user that are read
# "the mascot", "the flyer", "the logo for the shop": a thing an earlier request may have made.
_THE_MADE_THING = re.compile(
    r"\bthe\s+(?:(?:same|old|last|usual)\s+)?(" + "|".join(sorted(MADE_THINGS)) + r")s?\b"
    r"(?!\s+(?:of|for|from|by)\s+(?:the\s+)?[A-Z])",  # not "the logo of the Chicago Bulls"
    re.IGNORECASE,
)


# Routes the model guesses for words the user's history may say the meaning of.
_GUESSED = (GapRoute.SEARCH, GapRoute.KNOWLEDGE, GapRoute.ASK)


class Recalled(BaseModel):
    phrases: list[str] = Field(default_factory=list, max_length=6)


async def recall(gap: Gap, ctx: GroundContext) -> Gap | None:
    """The gap resolved from the user's memory, or None when nothing there says."""
    if ctx.memory is None:
        return None
    notes, every = await _notes(gap, ctx)
    if not notes:
        return None
    phrases = await _model_phrases(gap, notes, ctx) if ctx.llm is not None else []
    if not phrases:
        best = _best(gap, notes) or made_before(gap.span, ctx.request.prompt, every)
        if best is None and SELF.search(gap.span):
            best = next((n for n in every if n.entry.kind == "profile"), None)
        if best is None:
            return None
        phrases = [best.text]
    stood = stand_for(gap.span, phrases, every, ctx)
    value = _joined(stood.texts)
    sources = stood.sources or notes[-1:]
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


async def memory_probes(request: Request, gaps: list[Gap], memory: Memory) -> list[Gap]:
    """Memory gaps the user's history is the evidence for, where no memory gap covers them:
    "the mascot" in "put the mascot on a mug" when an earlier request of this user made a
    mascot, and a phrase another gap routes elsewhere that the user has said what it is.
    None without such evidence (nothing is recalled, nothing is said). A gap of another route
    over the phrase that points back ("the flyer again but for december" read as a lookup)
    does not stop the probe: when memory answers, `outranked` drops that gap."""
    made = list(_THE_MADE_THING.finditer(request.prompt))
    elsewhere = [g for g in gaps if g.route in _GUESSED]
    if not made and not elsewhere:
        return []  # nothing memory could be evidence for: the history is not read
    history = await memory.history(request.user_id, limit=HISTORY_LIMIT)
    said = [e for e in history if e.role == "user"]
    requests = [e.content for e in said if e.kind == "message" and REQUEST.search(e.content)]
    covered = [g.span for g in gaps if g.route is GapRoute.MEMORY]
    # A made thing, unless a gap the model routed elsewhere covers it without pointing back
    # ("the logo of the Chicago Bulls" is a lookup; "the flyer again" is not).
    found = [
        m.group(0)
        for m in made
        if any(made_by(r, m.group(0)) for r in requests)
        and not any(
            overlaps_text(m.group(0), g.span) and not POINTS_BACK.search(g.span) for g in gaps
        )
    ]
    # A lookup or a question over words the user has defined ("The upcoming release is our
    # smoked chilli hot sauce"): their own statement says what the words mean.
    found += [
        g.span for g in elsewhere if any(defines(line, g.span) for e in said for line in lines(e))
    ]
    probes: list[Gap] = []
    for span in dict.fromkeys(found):
        if any(overlaps_text(span, c) for c in covered):
            continue
        probes.append(
            Gap(
                id=_free_id([*gaps, *probes]),
                question=f"What do you mean by {span!r}?",
                route=GapRoute.MEMORY,
                span=span,
                decided_by="rules",
            )
        )
    return probes


def defines(note: str, span: str) -> bool:
    """Whether a note of the user's says what the phrase is: "The upcoming release is our
    smoked chilli hot sauce" for "the upcoming release", a profile's "slogan: …" for "the
    slogan"."""
    core = re.sub(r"^(?:the|a|an|this|that|our|my|这个|那个)\s*", "", span.strip(), flags=re.I)
    if not core or len(core) > 60:
        return False
    named = r"(?:(?:the|our|my)\s+)?" + rules.span_pattern(core)
    pattern = rf"(?<!\w){named}\s*(?:is|are|was|were|will\s+be|[:=]|叫|是)\s*\S"
    return re.search(pattern, note, re.IGNORECASE) is not None


def outranked(recalled: Gap, gaps: list[Gap]) -> list[Gap]:
    """The gaps a resolved memory probe answers instead: a lookup, a knowledge question or a
    question back to the user over the same words. The user's own earlier request is the
    evidence of what the phrase means; a reading the model guessed without it gives way."""
    return [
        g
        for g in gaps
        if g.id != recalled.id and g.route in _GUESSED and overlaps_text(recalled.span, g.span)
    ]


def _free_id(gaps: list[Gap]) -> str:
    taken = {g.id for g in gaps}
    return next(f"g{i}" for i in range(1, len(taken) + 2) if f"g{i}" not in taken)


async def _notes(gap: Gap, ctx: GroundContext) -> tuple[list[Note], list[Note]]:
    """The entries offered as saying what the phrase means, and every entry that may, both
    oldest first (later ones may change what an offered one says)."""
    user = ctx.request.user_id
    history = await ctx.memory.history(user, limit=HISTORY_LIMIT) if ctx.memory else []
    points_back = bool(POINTS_BACK.search(gap.span))
    notes: list[Note] = []
    for entry in history:
        if entry.kind == "choice":
            continue  # the agent's own prompts: what the user said is the record
        for line in lines(entry):
            if may_define(line, entry, gap.span, points_back) and not someone_elses(line, gap.span):
                notes.append(Note(line, entry))
    wanted = extract.terms(f"{gap.span} {ctx.request.prompt}")
    scored = [(extract.overlap(wanted, n.text), i, n) for i, n in enumerate(notes)]
    kept = sorted(sorted(scored, key=lambda s: -s[0])[:MAX_NOTES], key=lambda s: s[1])
    # A short memory goes to the model whole: "what I eat" shares no word with "I've gone
    # vegan"; only a long one is narrowed to the notes sharing words with the request.
    whole = ctx.llm is not None and len(notes) <= MAX_NOTES
    return [n for score, _, n in kept if score > 0 or points_back or whole], notes


def _joined(phrases: list[str]) -> str:
    """The phrases as one value, whole phrases only, as many as fit."""
    kept: list[str] = []
    for phrase in phrases:
        if len("; ".join([*kept, phrase])) > MAX_RESOLUTION_CHARS:
            break
        kept.append(phrase)
    return "; ".join(kept) or phrases[0][:MAX_RESOLUTION_CHARS]


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
    copied = [p.strip() for p in found.phrases if p.strip()]
    verified = [w for w in (_in_notes(p, notes) for p in copied) if w is not None]
    if len(verified) < len(copied):
        ctx.tracer.decision(
            "ground", f"{gap.id}: dropped recalled words not found in memory", by="evidence"
        )
    return list(dict.fromkeys(verified))


def _in_notes(phrase: str, notes: list[Note]) -> str | None:
    """The notes' own words for a copied phrase: the phrase itself, or the same words with a
    plural the model made singular or the other way round ("Sunday 7am" of "Sundays 7am")."""
    for note in reversed(notes):
        if phrase.lower() in note.text.lower():
            return phrase
    words = re.findall(r"[\w'’]+", phrase)
    if not words or any(not w.isascii() for w in words):
        return None
    forms = []
    for word in words:
        stem = extract.singular(word.lower())
        forms.append(
            rf"{re.escape(stem[:-1])}(?:y|ys|ies)"
            if stem.endswith("y")
            else rf"{re.escape(stem)}(?:e?s)?"
        )
    pattern = re.compile(r"(?<!\w)" + r"\W+".join(forms) + r"(?!\w)", re.IGNORECASE)
    for note in reversed(notes):
        m = pattern.search(note.text)
        if m:
            return m.group(0)
    return None
