"""One lookup of the request itself when it names something a source must tell about and
the planner routed nothing to search.

A small planner model misses lookups ("a victory poster for whoever won the Skyforge Arena
World Finals last weekend, with the final score" reads to it as a picture description). The
request's own shape is evidence that a source is needed: a sign that the fact changes
("won", "last weekend", "latest", 冠军, 今年) and a named thing (a capitalised name, a title
in 《》 or quotes). Then the request is looked up once, concurrently with the other gaps; the
answer is kept only when the clause a source gives speaks of the named thing, and a probe
that finds nothing is dropped without a warning (nobody asked for it). Only with a search
backend: without one nothing is looked up and nothing changes.
"""

from __future__ import annotations

import re

from imagent.agent import rules
from imagent.core.types import Gap, GapRoute, GapStatus

_NAMED = re.compile(
    r"《([^》]{1,40})》|“([^”]{1,40})”|「([^」]{1,40})」|\"([^\"]{1,40})\"|'([^']{2,40})'"
    r"|\b([A-Z][A-Z0-9]{1,9})\b"  # a ticker or an acronym, even first in a sentence
    r"|(?<![.!?]\s)(?<!^)\b((?:[A-Z][\w'’-]*\d*|\d+[A-Z][\w-]*)(?:\s+(?:[A-Z][\w'’-]*|of|the|\d+)){0,5})"
)
_MAX_SPAN = 300
_NOT_NAMES = frozenset(
    [
        "i",
        "ok",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)


def named_things(prompt: str) -> list[str]:
    """Names and titles the request gives: "Skyforge Arena World Finals", "北岸来信"."""
    found = []
    for match in _NAMED.finditer(prompt.strip()):
        name = next(g for g in match.groups() if g)
        name = re.split(r"['’]s\b", name)[0]  # "Velvet Comet's 2027 tour": the name is the owner
        name = re.sub(r"(?:\s+(?:of|the))+$", "", name).strip(" '’")
        if len(name) >= 2 and name.lower() not in _NOT_NAMES:
            found.append(name)
    return found


def about_something_named(prompt: str) -> bool:
    """Whether the request names something a source can tell about (a name, a title;
    Chinese has no capitals to tell a name by) rather than speaking of the user."""
    if rules.has_memory_cue(prompt):
        return False
    return bool(named_things(prompt)) or rules.has_cjk(prompt)


def whole_request(prompt: str) -> str:
    """The request as one phrase to look up."""
    return prompt.strip()[:_MAX_SPAN].rstrip(" .!?。！？")


def lookup_probe(prompt: str, gaps: list[Gap]) -> Gap | None:
    """A search gap for the whole request, or None when it needs none."""
    if any(g.route in (GapRoute.SEARCH, GapRoute.MEMORY) for g in gaps):
        return None
    changes = rules.has_search_cue(prompt) or rules.asks_for_a_value(prompt)
    if not changes or not about_something_named(prompt):
        return None
    span = whole_request(prompt)
    return Gap(
        id=f"g{len(gaps) + 1}",
        question=f"What fact does this request need from a current source: {span}",
        route=GapRoute.SEARCH,
        span=span,
        decided_by="rules",
    )


def speaks_of_the_named(gap: Gap) -> bool:
    """Whether a probe's answer is about what the request names (any of its names)."""
    if gap.status is not GapStatus.RESOLVED or not gap.resolution:
        return False
    names = named_things(gap.span)
    if not names:
        return True
    said = " ".join([gap.resolution, *(f"{e.title} {e.snippet}" for e in gap.evidence)]).lower()
    return any(name.lower() in said for name in names)
