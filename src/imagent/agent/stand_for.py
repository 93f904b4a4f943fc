"""What recalled words stand for, and what later notes change in it.

The model picks the words; the rules keep what the pick stands for. A name copied for "my
dog" stands for the sentence that says who the dog is ("my dog is a golden retriever named
Biscuit, he turns 5"), a name copied for "me" or "my avatar" for the user's profile and what
they said about themself, a profile about what the phrase names ("my band") for the whole
profile, a phrase pointing back ("the banner from before") or naming a thing an earlier
request made ("our mascot") for that request. A later note that changes it ("swap the
headband for a chef's hat", "we moved the meetup to the Old Mill Bridge") is put in place
(`updates`), or kept after it. A taste ("my usual style", "our colours") is the words
copied, nothing more: the request they came from is about something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imagent.agent import extract, updates
from imagent.agent.memory_notes import (
    ASKS_A_VALUE,
    FIRST_PERSON,
    MADE_THINGS,
    POINTS_BACK,
    REQUEST,
    SELF,
    TASTE,
    Note,
    made_by,
    thing_named,
)

if TYPE_CHECKING:
    from imagent.agent.ground import GroundContext
    from imagent.core.events import DecidedBy

# A note that changes something said before.
_CHANGES = re.compile(
    r"\b(?:now|moved|changed?|switch(?:ed)?|swap(?:ped)?|replaced?|instead|no\s+longer"
    r"|any\s?more|gone|cut|dyed|updated?|renamed?|dropped|not\s+\w+\s+any\s?more"
    r"|this\s+(?:one|time)(?:['’]s|\s+is|\s+it['’]s)?)\b"
    r"|改成|改为|改到|换成|换了|搬到|搬去|不再|现在|如今|已经|改名",
    re.IGNORECASE,
)
# How a request asks ("Draw ", "Can you make me ", "帮我做一张"), before what it asks for.
_ASKING = re.compile(
    r"^\W*(?:(?:please|hey|hi)\W+)?(?:(?:can|could)\s+you\s+)?(?:please\s+)?"
    r"(?:make|draw|create|design|generate|render|paint|do)\s+(?:me\s+|us\s+)?"
    r"|^\W*(?:请|麻烦)?(?:帮我|给我)?(?:画|做|设计|生成)(?:一下)?",
    re.IGNORECASE,
)
SHORT_WORDS = 3  # a copied phrase this short is a name or a value, not a description
SHORT_CJK = 6


@dataclass(frozen=True)
class Stood:
    texts: list[str]  # what the copied words stand for, changes put in place
    sources: list[Note]  # the notes it came from, changes included


def stand_for(span: str, phrases: list[str], notes: list[Note], ctx: GroundContext) -> Stood:
    """The copied words grown to what they stand for in `notes` (every note that may say),
    then what later notes change in it."""
    copied = [n for n in notes if any(p.lower() in n.text.lower() for p in phrases)]
    if TASTE.search(span):
        return _taste(span, phrases, copied, notes, ctx)
    grown: list[str] = []
    for phrase in phrases:
        for text in _grown(span, phrase, notes):
            if not any(text.lower() in kept.lower() for kept in grown):
                grown = [k for k in grown if k.lower() not in text.lower()] + [text]
    used = [i for i, n in enumerate(notes) if any(g.lower() in n.text.lower() for g in grown)]
    if not used:
        return Stood(phrases, copied)
    said = _said_about(span, notes[: min(used)])
    grown = [*(n.text for n in said), *grown]
    sources = [*said, *(notes[i] for i in used)]
    if grown != phrases:
        ctx.tracer.decision(
            "ground", f"recalled {phrases!r} for {span!r} stands for {grown!r}", by="rules"
        )
    for note in notes[max(used) + 1 :]:
        if not (_CHANGES.search(note.text) and note.entry.role == "user"):
            continue
        if not extract.terms(" ".join(grown)) & extract.terms(note.text):
            continue
        if any(note.text.lower() in g.lower() for g in grown):
            continue
        placed = _placed(grown, note.text, f"a later note changes {span!r}", "evidence", ctx)
        grown = placed if placed is not None else [*grown, note.text]
        sources.append(note)
    if _CHANGES.search(ctx.request.prompt):
        # The request may change it too ("the poster from before, moved to Friday").
        placed = _placed(grown, ctx.request.prompt, f"this request changes {span!r}", "rules", ctx)
        grown = placed if placed is not None else grown
    return Stood(grown, sources)


def _placed(
    grown: list[str], change: str, why: str, by: DecidedBy, ctx: GroundContext
) -> list[str] | None:
    """`grown` with what `change` changes put in place (traced), or None."""
    placed = updates.place(grown, change)
    if placed is None:
        return None
    ctx.tracer.decision("ground", f"{why}: {'; '.join(placed.what)}", by=by)
    return placed.texts


def _taste(
    span: str, phrases: list[str], copied: list[Note], notes: list[Note], ctx: GroundContext
) -> Stood:
    """A taste is the words copied, less what a later note of the user's gave up ("I've
    gone right off navy" drops navy from "mustard yellow, navy")."""
    if not copied:
        return Stood(phrases, copied)
    first = min(notes.index(n) for n in copied)
    dropped = [
        word
        for note in notes[first + 1 :]
        if note.entry.role == "user"
        for word in updates.given_up(note.text)
    ]
    kept = [p for p in (updates.without(phrase, dropped) for phrase in phrases) if p]
    if kept != phrases and kept:
        ctx.tracer.decision(
            "ground", f"{span!r}: a later note gave up {', '.join(dropped)}", by="evidence"
        )
        return Stood(kept, copied)
    return Stood(phrases, copied)


def _grown(span: str, phrase: str, notes: list[Note]) -> list[str]:
    """What one copied phrase stands for in the notes it came from (the user's own words
    first, then the assistant's)."""
    ordered = [n for n in reversed(notes) if n.entry.role == "user"] + [
        n for n in reversed(notes) if n.entry.role != "user"
    ]
    source = next((n for n in ordered if phrase.lower() in n.text.lower()), None)
    if source is None:
        return [phrase]
    if SELF.search(span) and (source.entry.kind == "profile" or FIRST_PERSON.search(source.text)):
        # The user themself: their profile and what they have said about themselves.
        return [
            n.text
            for n in notes
            if n.entry.role == "user"
            and (n.entry.kind == "profile" or FIRST_PERSON.search(n.text))
            and not REQUEST.search(n.text)
        ]
    if ASKS_A_VALUE.search(span):
        return [phrase]  # the date / place / name the phrase asks for
    if source.entry.kind == "profile":
        return _profile_part(span, phrase, source, notes)
    if source.entry.role != "user":
        asked = _answered(source, notes)
        if asked is not None and (POINTS_BACK.search(span) or made_by(asked.text, span)):
            # The assistant's reply to a request: the request, in the user's own words.
            return [_ASKING.sub("", asked.text, count=1) or asked.text]
        return [phrase] if not _is_short(phrase) else [source.text]
    if not REQUEST.search(source.text):
        return [source.text]  # what the user said about it
    if _is_short(phrase) or POINTS_BACK.search(span) or made_by(source.text, span):
        # The earlier request the phrase points back to, without its "Draw …" / "帮我做".
        return [_ASKING.sub("", source.text, count=1) or source.text]
    return [phrase]


def _answered(reply: Note, notes: list[Note]) -> Note | None:
    """The user's request an assistant's note replies to: the user's last note before it,
    in the same session, when that note is a request."""
    before = notes[: notes.index(reply)] if reply in notes else []
    last = next((n for n in reversed(before) if n.entry.role == "user"), None)
    if last is None or last.entry.session_id != reply.entry.session_id:
        return None
    return last if REQUEST.search(last.text) else None


def _profile_part(span: str, phrase: str, source: Note, notes: list[Note]) -> list[str]:
    """A profile line whose key the phrase names ("my garden" of "garden: a walled cottage
    garden, …") stands whole; a profile that is about what the phrase names ("my band" of
    "band: The Velvet Static / genre: shoegaze / logo: …") stands whole too."""
    named = extract.terms(span)
    block = [n for n in notes if n.entry is source.entry]
    if block and named & extract.terms(block[0].text.partition(":")[0]):
        return [n.text for n in block]
    if named & extract.terms(source.text.partition(":")[0]):
        return [source.text]
    return [phrase]


def _said_about(span: str, notes: list[Note]) -> list[Note]:
    """What the user said earlier about their own thing the phrase names: for "我家鹦鹉",
    "我养了只虎皮鹦鹉，叫“芒果”…" before the "芒果最近学会说…" the model picked."""
    head = thing_named(span)
    if head is None or TASTE.search(span) or ASKS_A_VALUE.search(span):
        return []
    return [
        n
        for n in notes
        if n.entry.role == "user"
        and n.entry.kind == "message"
        and not REQUEST.search(n.text)
        and FIRST_PERSON.search(n.text)
        and head.search(n.text)
    ]


def _is_short(phrase: str) -> bool:
    cjk = len(re.findall(r"[\u3400-\u9fff]", phrase))
    if cjk:
        return cjk <= SHORT_CJK
    return len(phrase.split()) <= SHORT_WORDS


def made_before(span: str, prompt: str, notes: list[Note]) -> Note | None:
    """For a phrase pointing back ("like the one last week", "the flyer again"), the latest
    earlier request that made the kind of thing this request asks for."""
    if not POINTS_BACK.search(span) or TASTE.search(span):
        return None  # a taste is never an earlier request ("my usual style")
    kinds = [w for w in re.findall(r"[\w'’-]+", f"{span} {prompt}".lower()) if w in MADE_THINGS]
    for note in reversed(notes):
        requested = note.entry.role == "user" and REQUEST.search(note.text)
        if requested and any(made_by(note.text, kind) for kind in kinds):
            return note
    return None
