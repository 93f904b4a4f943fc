"""What the rules read in a request before any model is asked: its subject and style, the
text it wants shown, how many images it asks for, and the candidate gaps they can find."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from imagent.agent import rules
from imagent.agent.rules import ImageCount, RuleGap, Shown

_SUBJECT_END = re.compile(
    r"[,;:.!?，。；：！？—]|\s-\s|\b(?:showing|displaying|that|which|who|with|saying|says|reading"
    r"|reads|where|written|to\s+show|for|about|of|in|on|at|from|into|under|over|by|as|like"
    r"|labell?ed|titled|and|whose|when|after|before|during)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:(?:please|pls|can\s+you|could\s+you|would\s+you|i\s+(?:need|want|would\s+like)"
    r"|make\s+me|make|draw\s+me|draw|create|design|generate|render|paint|give\s+me|show\s+me"
    r"|i'd\s+like|we\s+need)\s+)+",
    re.IGNORECASE,
)
_ZH_LEAD = re.compile(r"^(?:请|帮我|给我|麻烦)?(?:画|做|设计|生成|制作|来)(?:一下)?")
_STYLE_WORDS = re.compile(
    r"\b(?:watercolou?r|oil painting|acrylic|pencil|charcoal|ink|sketch|pixel art|3d render"
    r"|photo(?:graph|realistic)?|cinematic|anime|manga|comic|cartoon|flat illustration|vector"
    r"|minimalist|minimal|retro|vintage|art deco|cyberpunk|steampunk|neon|pastel|noir"
    r"|chalkboard|whiteboard|isometric|low poly|ukiyo-e|impressionist|surreal)\b"
    r"|水彩|油画|素描|铅笔画|像素风|卡通|漫画风|水墨|国风|扁平|极简|复古|赛博朋克|霓虹",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RequestReading:
    """The rules' reading of one request; the planner weighs it against the model's."""

    prompt: str
    subject: str
    style: str
    shown: tuple[Shown, ...]
    computable: tuple[RuleGap, ...]
    search: tuple[str, ...]
    memory: tuple[str, ...]
    images: ImageCount | None


def read_request(prompt: str, today: date) -> RequestReading:
    return RequestReading(
        prompt=prompt,
        subject=subject_of(prompt),
        style=style_of(prompt),
        shown=tuple(rules.shown_text(prompt)),
        computable=tuple(rules.computable_gaps(prompt, current_year=today.year)),
        search=tuple(rules.search_spans(prompt)),
        memory=tuple(rules.memory_spans(prompt)),
        images=rules.image_count(prompt),
    )


def subject_of(prompt: str) -> str:
    """The request's head noun phrase ("a chalkboard", "a poster"), never ending mid-phrase
    on a preposition or article; Chinese requests keep their first clause."""
    text = prompt.strip()
    if re.search(r"[\u3400-\u9fff]", text[:8]):
        head = re.split(r"[，,。；;：:！!？?]", _ZH_LEAD.sub("", text), maxsplit=1)[0]
        return head[:24]
    text = _LEAD.sub("", text)
    head = _SUBJECT_END.split(text, maxsplit=1)[0]
    words = re.sub(r"\s+", " ", head).strip(" ,.;:'\"").split(" ")
    while words and words[-1].lower() in ("a", "an", "the", "of", "for", "to", "my", "our"):
        words.pop()
    return " ".join(words[:8])


def style_of(prompt: str) -> str:
    """Style words the request names: media, moods and palettes ("watercolor", "neon")."""
    found = [m.group(0).lower() for m in _STYLE_WORDS.finditer(prompt)]
    return ", ".join(dict.fromkeys(found))
