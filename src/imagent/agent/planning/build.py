"""The ContextPlan from the rules' reading, the model's reading and the weighed gaps: the
text to show (the user's words, never rewritten), enumerated items, implied details, and
one task per image for a request of several."""

from __future__ import annotations

import re

from imagent.agent import rules
from imagent.agent.numbers import read_numbers
from imagent.agent.planning.model_reading import ModelReading
from imagent.agent.planning.reading import RequestReading
from imagent.agent.rules.spans import overlaps
from imagent.agent.trace import Tracer
from imagent.core.types import EvidenceSource, Gap, GapRoute, GapStatus, PlannedTask, TextBlock

STEP = "plan"
_SHOWN_BEFORE = re.compile(
    r"(?:showing|shows|displaying|that\s+(?:reads|says|shows)|saying|reading|with\s+the\s+(?:text"
    r"|words|number|answer)|labell?ed\s+with|label(?:s|l?ing)?|annotat(?:e|ing)|titled|written"
    r"|writes?|write|with|print|printed"
    r"|displays?|put|puts|mark(?:ed)?|tell(?:s|ing)?|say|写着|写上|写出|标出|标上|写|显示|标注|插出)"
    r"\s*(?:only\s+|just\s+|out\s+)?$",
    re.IGNORECASE,
)
_LABELS = re.compile(
    r"\blabel(?:l?ed|s|ling)?\b|\bnamed\b|\bwith\s+(?:their|its|the)\s+names\b|标出|标注|标上|写上名字"
    r"|写出|写着|名称",
    re.IGNORECASE,
)


def text_blocks(
    reading: RequestReading, gaps: list[Gap], model: ModelReading, tracer: Tracer
) -> list[TextBlock]:
    """What the image must show as text, in the order the request says it."""
    # A description of a value ("写上她的名字") is a place for the value once it is found;
    # compose draws it only with the value in its place.
    described = [d for d in rules.value_descriptions(reading.prompt) if not _inside(d, reading)]
    texts = [shown.text for shown in [*reading.shown, *described]]
    for gap in gaps:
        if _asked_to_show(reading.prompt, gap) and not _covered(gap.span, texts):
            texts.append(gap.span)
    for text in model.text:
        if rules.names_a_value(text):
            tracer.decision(STEP, f"model text {text!r} names a value; not drawn as words")
        elif not _covered(text, texts) and rules.contains_span(reading.prompt, text):
            texts.append(text)
        elif not _covered(text, texts):
            tracer.decision(
                STEP, f"model text {text!r} is not in the request; not shown", by="rules"
            )
    texts.sort(key=lambda t: _position(reading.prompt, t))
    blocks = [TextBlock(text=t, role="headline" if i == 0 else "body") for i, t in enumerate(texts)]
    if model.items and _LABELS.search(reading.prompt):
        # Labels the request names ("France, Germany and Spain labelled") are labels; a
        # phrase of the request said again ("a cube with 3 cm edges") is not.
        items = list(dict.fromkeys(i.strip() for i in model.items if i.strip()))
        labels = [i for i in items if not _covered(i, texts) and not _restates(i, reading.prompt)]
        blocks += [TextBlock(text=item, role="label") for item in labels]
    return blocks


def _restates(fact: str, prompt: str) -> bool:
    """A phrase of three or more words that the request says as it is."""
    return len(fact.split()) >= 3 and fact.lower() in prompt.lower()


def _position(prompt: str, text: str) -> int:
    """Where the request says `text` (text it does not say, from the model, goes last)."""
    found = rules.find_span(prompt, text)
    return found.start() if found else len(prompt)


def _inside(piece: rules.Shown, reading: RequestReading) -> bool:
    return any(overlaps((piece.start, piece.end), (s.start, s.end)) for s in reading.shown)


def _asked_to_show(prompt: str, gap: Gap) -> bool:
    """A value the request asks to see: "showing the result of …", and "a poster for
    tomorrow's weather" (a looked-up or worked-out value the image is for)."""
    found = rules.find_span(prompt, gap.span)
    if found is None:
        return False
    before = prompt[max(0, found.start() - 40) : found.start()]
    if _SHOWN_BEFORE.search(before):
        return True
    about = gap.route in (GapRoute.SEARCH, GapRoute.REASON)
    return about and bool(re.search(r"\b(?:for|of|about)\s*$", before, re.IGNORECASE))


def _covered(text: str, texts: list[str]) -> bool:
    low = text.lower()
    return any(low in t.lower() or t.lower() in low for t in texts)


def planned_tasks(reading: RequestReading, model: ModelReading) -> list[PlannedTask]:
    """One task per image when the request asks for several, each with its beat."""
    if reading.images is None:
        return []
    count, noun = reading.images.count, reading.images.noun
    beats = [b for b in model.beats if b.strip()][:count]
    texts = model.beat_texts[:count]
    tasks = []
    for index in range(count):
        beat = beats[index] if index < len(beats) else ""
        text = texts[index] if index < len(texts) else []
        tasks.append(
            PlannedTask(
                id=f"p{index + 1}",
                title=f"{noun.capitalize()} {index + 1} of {count}",
                role="panel" if reading.images.role == "panel" else "image",
                brief=beat,
                text=[TextBlock(text=t, role="body") for t in text if t.strip()],
            )
        )
    return tasks


def new_facts(reading: RequestReading, facts: list[str]) -> list[str]:
    """A model's items or details, each once, without those that only say the request again
    (a small model often echoes it: "chessboard", "photographed from white's side")."""
    request = _words(reading.prompt) | _words(reading.subject)
    kept: list[str] = []
    for fact in (f.strip(" .;") for f in facts):
        words = _words(fact)
        if not fact or fact.lower() in (k.lower() for k in kept):
            continue
        if words and len(words - request) == 0 and not re.search(r"\d", fact):
            continue
        if _restates(fact, reading.prompt):
            continue  # the request's own phrase ("a cube with 3 cm edges") said again
        kept.append(fact)
    return kept


def _words(text: str) -> set[str]:
    latin = {w for w in re.findall(r"[a-z0-9']+", text.lower()) if len(w) > 2}
    cjk = "".join(re.findall(r"[\u3400-\u9fff]", text))
    return latin | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def backed_facts(facts: list[str], prompt: str, gaps: list[Gap], tracer: Tracer) -> list[str]:
    """The model's items or details, without those that state a number nothing backs.

    When the request depends on a fact that is looked up, the planner wrote its details
    before that fact was known: a number in one ("Ilse Marr is 45 years old", "10 Golden
    Whisk stars") is a guess at it unless the request, a resolution or its evidence says it,
    and would contradict the grounded value on the image. Numbers the model works out or
    knows ("about 31.4 cm" for a circumference, "seven colours" out of a prism) are kept
    when no looked-up fact was found (a lookup that found nothing has nothing to contradict),
    unless they are about what a computed gap computed ("周长为24厘米" beside a perimeter
    computed as 34厘米): the computation is the evidence, the detail a second answer."""
    looked_up = any(_looked_up(g) for g in gaps)
    computed = [g for g in gaps if _computed(g)]
    if not looked_up and not computed:
        return facts
    known = [prompt]
    for gap in gaps:
        known += [gap.resolution or "", gap.visual, *(e.snippet for e in gap.evidence)]
    backed = _numbers_in(" ".join(known))
    said = " ".join(known).lower()
    kept = []
    for fact in facts:
        unbacked = _numbers_in(fact) - backed
        # A number, or a name of several words ("Stoke City logo" on a card for a striker
        # whose club was looked up), that nothing backs.
        guessed = (
            unbacked
            | {
                n
                for n in (re.sub(r"['’]s$", "", m) for m in _NAMES.findall(fact))
                if n.lower() not in said
            }
            if looked_up
            else set()
        )
        about = next((g for g in computed if unbacked and _same_quantity(fact, g)), None)
        if guessed:
            why = f"{', '.join(sorted(guessed))} is not in the request or the evidence"
        elif about is not None:
            why = f"it answers {about.span!r} otherwise than the computed {about.resolution!r}"
        else:
            kept.append(fact)
            continue
        tracer.decision("ground", f"dropped detail {fact!r}: {why}", by="evidence")
    return kept


def _computed(gap: Gap) -> bool:
    """A value the reason route computed (a knowledge answer's "why" is reasoning evidence
    too, but nothing was computed: its details are not second answers)."""
    return gap.route is GapRoute.REASON and gap.status is GapStatus.RESOLVED


def _same_quantity(fact: str, gap: Gap) -> bool:
    """Whether `fact` speaks of what `gap` computed: it shares a word with the gap's phrase
    ("周长", "total", "hypotenuse") that is not the value's unit."""
    shared = (_words(fact) & _words(gap.span)) - _words(gap.resolution or "") - _PLAIN_WORDS
    return bool(shared)


# Words any two English phrases share ("the hypotenuse" and "along the bottom edge").
_PLAIN_WORDS = {
    "the", "and", "with", "for", "its", "their", "his", "her", "this", "that", "these",
    "those", "from", "into", "onto", "what", "how", "many", "much", "all", "each", "every",
    "label", "labelled", "labeled", "show", "showing", "shown", "write", "written", "mark",
    "marked", "draw", "drawn", "add", "print", "printed", "display", "displayed",
}  # fmt: skip


_NAMES = re.compile(r"\b[A-Z][\w’'-]*[\w](?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w’'-]*[\w])+")


def _looked_up(gap: Gap) -> bool:
    """A fact found in a source (a lookup, or a knowledge question looked up)."""
    return gap.status is GapStatus.RESOLVED and any(
        e.source is EvidenceSource.WEB for e in gap.evidence
    )


def _numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in _DIGITS.findall(read_numbers(text).text)}
