"""The memory route: what "my usual style", "our brand colours" or "the logo we made
yesterday" mean for this user, from their profile and earlier turns.

Only an entry that says what the phrase means can answer it: a profile value, a statement
("my dog is a golden retriever named Biscuit", "I've gone vegan"), or, for a phrase that
points back ("same as last time", "the banner from before"), the earlier request it points
to. An earlier request that merely shares words with the phrase does not. The newest entry
wins where entries disagree, and the answer is copied words, checked verbatim.

The model picks the words; the rules then keep what the pick stands for. A name copied for
"my dog" stands for the sentence that says who the dog is ("my dog is a golden retriever
named Biscuit, he turns 5"), a name copied for "me" or "my avatar" for the user's whole
profile, a phrase from an earlier request that the phrase points back to for that request;
and a later note that changes what was recalled ("swap the headband for a chef's hat", "we
moved the meetup to the Old Mill Bridge") comes along after it. A taste ("my usual style",
"our colours") is the words copied, nothing more: the request they came from is about
something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from imagent.agent import extract, rules, updates
from imagent.agent.structured import complete_structured
from imagent.core.types import Evidence, EvidenceSource, Gap, GapRoute, GapStatus, Request
from imagent.memory.base import Memory, MemoryEntry
from imagent.prompts import load_prompt

if TYPE_CHECKING:
    from imagent.agent.ground import GroundContext

MAX_NOTES = 8
MAX_RESOLUTION_CHARS = 400
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

# Things an image request makes, which a later request may name ("our mascot").
_MADE_THINGS = frozenset(
    [
        "card",
        "poster",
        "logo",
        "banner",
        "flyer",
        "mascot",
        "character",
        "icon",
        "sticker",
        "menu",
        "invitation",
        "avatar",
        "sign",
        "label",
        "cover",
        "wallpaper",
        "emblem",
        "badge",
    ]
)
# A taste the user keeps from request to request: its words, not what it was used on.
_TASTE = re.compile(
    r"\b(?:style|styles|look|vibe|aesthetic|theme|colou?rs?|palette|fonts?|typeface|tones?)\b"
    r"|风格|样式|配色|颜色|色调|字体|色系",
    re.IGNORECASE,
)
# The user themself: "a portrait of me", "my avatar", "我的头像".
_SELF = re.compile(
    r"\b(?:me|myself|my\s+(?:avatar|portrait|selfie|likeness|profile\s+pic(?:ture)?))\b"
    r"|我自己|我本人|我的(?:头像|肖像|画像|形象)|^我$",
    re.IGNORECASE,
)
# A note that changes something said before.
_CHANGES = re.compile(
    r"\b(?:now|moved|changed?|switch(?:ed)?|swap(?:ped)?|replaced?|instead|no\s+longer"
    r"|any\s?more|gone|cut|dyed|updated?|renamed|dropped|not\s+\w+\s+any\s?more)\b"
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
# A phrase asking for one value of something, which the copied words are.
_ASKS_A_VALUE = re.compile(
    r"\b(?:date|day|time|hour|place|spot|venue|address|location|name|number|price|age)s?\b"
    r"|日期|时间|地点|地址|名字|名称|价格|年龄",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|im|my|me)\b|我", re.IGNORECASE)
SHORT_WORDS = 3  # a copied phrase this short is a name or a value, not a description
SHORT_CJK = 6


# "the mascot", "the flyer", "the logo for the shop": a thing an earlier request may have made.
_THE_MADE_THING = re.compile(
    r"\bthe\s+(?:(?:same|old|last|usual)\s+)?(" + "|".join(sorted(_MADE_THINGS)) + r")s?\b",
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
    notes, every = await _notes(gap, ctx)
    if not notes:
        return None
    phrases = await _model_phrases(gap, notes, ctx) if ctx.llm is not None else []
    if not phrases:
        best = _best(gap, notes) or _made_before(gap.span, ctx.request.prompt, every)
        if best is None and _SELF.search(gap.span):
            best = next((n for n in every if n.entry.kind == "profile"), None)
        if best is None:
            return None
        phrases = [best.text]
    phrases = _what_they_stand_for(gap.span, phrases, every, ctx)
    value = _joined(phrases)
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


async def memory_probes(request: Request, gaps: list[Gap], memory: Memory) -> list[Gap]:
    """Memory gaps for "the mascot" in "put the mascot on a mug" when no gap covers it and
    an earlier request of this user made a mascot: the user's history is the evidence that
    the phrase points back. None without such a request (nothing is recalled, nothing is
    said)."""
    found = [m.group(0) for m in _THE_MADE_THING.finditer(request.prompt)]
    found = [f for f in found if not any(_overlap(f, g.span) for g in gaps)]
    if not found:
        return []
    history = await memory.history(request.user_id, limit=200)
    requests = [
        e.content
        for e in history
        if e.role == "user" and e.kind == "message" and _REQUEST.search(e.content)
    ]
    probes: list[Gap] = []
    for span in dict.fromkeys(found):
        if any(_made_by(r, span) for r in requests):
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


def _free_id(gaps: list[Gap]) -> str:
    taken = {g.id for g in gaps}
    return next(f"g{i}" for i in range(1, len(taken) + 2) if f"g{i}" not in taken)


def _overlap(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a in b or b in a


async def _notes(gap: Gap, ctx: GroundContext) -> tuple[list[Note], list[Note]]:
    """The entries offered as saying what the phrase means, and every entry that may, both
    oldest first (later ones may change what an offered one says)."""
    user = ctx.request.user_id
    history = await ctx.memory.history(user, limit=200) if ctx.memory else []
    points_back = bool(_POINTS_BACK.search(gap.span))
    notes: list[Note] = []
    for entry in history:
        if entry.kind == "choice":
            continue  # the agent's own prompts: what the user said is the record
        for line in _lines(entry):
            if _may_define(line, entry, gap.span, points_back) and not _someone_elses(
                line, gap.span
            ):
                notes.append(Note(line, entry))
    wanted = extract.terms(f"{gap.span} {ctx.request.prompt}")
    scored = [(extract.overlap(wanted, n.text), i, n) for i, n in enumerate(notes)]
    kept = sorted(sorted(scored, key=lambda s: -s[0])[:MAX_NOTES], key=lambda s: s[1])
    # A short memory goes to the model whole: "what I eat" shares no word with "I've gone
    # vegan"; only a long one is narrowed to the notes sharing words with the request.
    whole = ctx.llm is not None and len(notes) <= MAX_NOTES
    return [n for score, _, n in kept if score > 0 or points_back or whole], notes


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
    if _made_by(text, span):
        return True
    if rules.contains_span(text, span):
        pattern = rules.span_pattern(span) + r"\s*(?:is|are|was|were|=|:|-|叫|是)\s*\S"
        return re.search(pattern, text, re.IGNORECASE) is not None
    return points_back


def _someone_elses(text: str, span: str) -> bool:
    """Whether a note is about someone else's thing of the kind "my bike" names ("my husband
    wants a drawing of his mountain bike") and not about the user's own."""
    mine = re.match(r"\s*(?:my|our)\s+(?:[\w'’-]+\s+){0,2}?([\w'’-]+)\s*$", span, re.IGNORECASE)
    if mine is None:
        return False
    noun = re.escape(extract.singular(mine.group(1).lower()))
    kind = rf"(?:[\w'’-]+\s+){{0,2}}{noun}(?:e?s)?\b"
    others = re.search(
        rf"\b(?:his|her|their|\w+'s|\w+’s)\s+{kind}"
        rf"|\b(?:he|she|they)\s+(?:has|have|had|owns?|got)\s+(?:an?\s+|the\s+)?{kind}",
        text,
        re.IGNORECASE,
    )
    return others is not None and re.search(rf"\b(?:my|our)\s+{kind}", text, re.I) is None


def _joined(phrases: list[str]) -> str:
    """The phrases as one value, whole phrases only, as many as fit."""
    kept: list[str] = []
    for phrase in phrases:
        if len("; ".join([*kept, phrase])) > MAX_RESOLUTION_CHARS:
            break
        kept.append(phrase)
    return "; ".join(kept) or phrases[0][:MAX_RESOLUTION_CHARS]


def _what_they_stand_for(
    span: str, phrases: list[str], notes: list[Note], ctx: GroundContext
) -> list[str]:
    """The copied words grown to what they stand for in `notes` (every note that may say),
    then what later notes change in it."""
    if _TASTE.search(span):
        return phrases
    grown: list[str] = []
    for phrase in phrases:
        for text in _grown(span, phrase, notes):
            if not any(text.lower() in kept.lower() for kept in grown):
                grown = [k for k in grown if k.lower() not in text.lower()] + [text]
    used = [i for i, n in enumerate(notes) if any(g.lower() in n.text.lower() for g in grown)]
    if not used:
        return phrases
    said = [n.text for n in _said_about(span, notes[: min(used)])]
    grown = [*said, *grown]
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
        placed = updates.place(grown, note.text)
        if placed is not None:
            grown = placed.texts
            ctx.tracer.decision(
                "ground", f"a later note changes {span!r}: {'; '.join(placed.what)}", by="evidence"
            )
        else:
            grown.append(note.text)
    if _CHANGES.search(ctx.request.prompt):
        # The request may change it too ("the poster from before, moved to Friday").
        placed = updates.place(grown, ctx.request.prompt)
        if placed is not None:
            grown = placed.texts
            ctx.tracer.decision(
                "ground", f"this request changes {span!r}: {'; '.join(placed.what)}", by="rules"
            )
    return grown


def _said_about(span: str, notes: list[Note]) -> list[Note]:
    """What the user said earlier about their own thing the phrase names: for "我家鹦鹉",
    "我养了只虎皮鹦鹉，叫“芒果”…" before the "芒果最近学会说…" the model picked."""
    head = _head(span)
    if head is None or _TASTE.search(span) or _ASKS_A_VALUE.search(span):
        return []
    return [
        n
        for n in notes
        if n.entry.role == "user"
        and n.entry.kind == "message"
        and not _REQUEST.search(n.text)
        and _FIRST_PERSON.search(n.text)
        and head.search(n.text)
    ]


def _head(span: str) -> re.Pattern[str] | None:
    """The thing a first-person phrase names, as a pattern: "my bike" -> bike(s); "我家鹦鹉"
    -> 鹦鹉."""
    cjk = re.search(r"([\u3400-\u9fff]{2})$", span.strip())
    if cjk and re.match(r"\s*我", span):
        return re.compile(re.escape(cjk.group(1)))
    mine = re.match(r"\s*(?:my|our)\s+(?:[\w'’-]+\s+){0,2}?([\w'’-]+)\s*$", span, re.IGNORECASE)
    if mine is None:
        return None
    noun = re.escape(extract.singular(mine.group(1).lower()))
    return re.compile(rf"\b{noun}(?:e?s)?\b", re.IGNORECASE)


def _made_before(span: str, prompt: str, notes: list[Note]) -> Note | None:
    """For a phrase pointing back ("like the one last week", "the flyer again"), the latest
    earlier request that made the kind of thing this request asks for."""
    if not _POINTS_BACK.search(span) or _TASTE.search(span):
        return None  # a taste is never an earlier request ("my usual style")
    kinds = [w for w in re.findall(r"[\w'’-]+", f"{span} {prompt}".lower()) if w in _MADE_THINGS]
    for note in reversed(notes):
        requested = note.entry.role == "user" and _REQUEST.search(note.text)
        if requested and any(_made_by(note.text, kind) for kind in kinds):
            return note
    return None


def _grown(span: str, phrase: str, notes: list[Note]) -> list[str]:
    """What one copied phrase stands for in the notes it came from (the user's own words
    first, then the assistant's)."""
    ordered = [n for n in reversed(notes) if n.entry.role == "user"] + [
        n for n in reversed(notes) if n.entry.role != "user"
    ]
    source = next((n for n in ordered if phrase.lower() in n.text.lower()), None)
    if source is None:
        return [phrase]
    if _SELF.search(span) and (source.entry.kind == "profile" or _FIRST_PERSON.search(source.text)):
        # The user themself: their profile and what they have said about themselves.
        return [
            n.text
            for n in notes
            if n.entry.role == "user"
            and (n.entry.kind == "profile" or _FIRST_PERSON.search(n.text))
            and not _REQUEST.search(n.text)
        ]
    if _ASKS_A_VALUE.search(span):
        return [phrase]  # the date / place / name the phrase asks for
    if source.entry.kind == "profile":
        return _profile_part(span, phrase, source, notes)
    if source.entry.role != "user":
        return [phrase] if not _is_short(phrase) else [source.text]
    if not _REQUEST.search(source.text):
        return [source.text]  # what the user said about it
    if _is_short(phrase) or _POINTS_BACK.search(span) or _made_by(source.text, span):
        # The earlier request the phrase points back to, without its "Draw …" / "帮我做".
        return [_ASKING.sub("", source.text, count=1) or source.text]
    return [phrase]


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


def _is_short(phrase: str) -> bool:
    cjk = len(re.findall(r"[\u3400-\u9fff]", phrase))
    if cjk:
        return cjk <= SHORT_CJK
    return len(phrase.split()) <= SHORT_WORDS


def _made_by(request: str, span: str) -> bool:
    """Whether an earlier request made the thing the phrase names: "our mascot" is the one
    "Draw a mascot for my ramen shop: …" made. (A taste, "my usual style", is never made.)"""
    words = re.findall(r"[\w'’-]+", span.lower())
    if not words or _TASTE.search(span) or words[-1] not in _MADE_THINGS:
        return False
    return re.search(rf"\b{re.escape(words[-1])}s?\b", request, re.IGNORECASE) is not None


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
