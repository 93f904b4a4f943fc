"""What a picture of a fixed kind needs, whatever the planner model wrote.

A maze is only a maze when it can be solved: a start and an exit that can be told apart,
one way through, and dead ends to make it a puzzle. A small planner model often leaves
that out, or writes the opposite ("no dead ends"). So when the request's subject is a maze,
its structure is added to the plan's details and a model detail that contradicts it is
dropped (traced). A compass side on a picture seen from above ("the entrance on the south
side" of a hedge maze, a map) is also placed on the picture (south toward the bottom),
which is how such pictures are drawn and read; a route through named places ("a path
from the ship to the X, passing the palm tree") says the order of its stops once, plainly;
and a clock face at a time the request gives has its hands placed (`clock`).
"""

from __future__ import annotations

import re

from imagent.agent.planning.clock import about_hands, clock_time, hands
from imagent.agent.rules.spans import has_cjk
from imagent.agent.trace import Tracer

STEP = "plan"
# A maze as the thing drawn: lower case, or first in the request ("Maze Runner" and "Pan's
# Labyrinth" are titles, "maze-like" is a look).
_MAZE = re.compile(
    r"\b(?:maze|labyrinth)s?\b(?![\w-]*like)|^\W*(?:Maze|Labyrinth)s?\b(?![\w-]*like)|迷宫"
)
_MAZE_NEEDS = {
    "en": [
        "one clearly marked start and one clearly marked exit",
        "exactly one solution path from the start to the exit",
        "dead ends branch off the solution path",
    ],
    "zh": ["起点和出口清楚标出", "只有一条从起点到出口的路线", "其余岔路都是死路"],
}
# Model details that say the opposite of a solvable maze.
_NOT_A_MAZE = re.compile(
    r"\b(?:no|not|without|never)\b[^.;]{0,20}dead[- ]?ends?|dead[- ]?ends?[^.;]{0,20}"
    r"(?:not\s+allowed|forbidden|avoided)|(?:multiple|several|many|two|four)\s+(?:[\w-]+\s+)?"
    r"(?:solutions|entrances|exits|routes\s+to\s+the\s+exit)|没有死路|不要死路|多个(?:入口|出口)"
    r"|[两三四五六]个(?:入口|出口)",
    re.IGNORECASE,
)
_FROM_ABOVE = re.compile(
    r"\b(?:seen\s+from\s+above|from\s+above|top[- ]down|overhead|aerial|bird'?s[- ]eye|map|floor"
    r"\s+plan|site\s+plan|maze|labyrinth)\b|俯视|俯瞰|鸟瞰|地图|平面图|迷宫",
    re.IGNORECASE,
)
_SIDES = {"north": "top", "south": "bottom", "east": "right", "west": "left"}
_ZH_SIDES = {"北": "上", "南": "下", "东": "右", "西": "左"}
_ON_A_SIDE = re.compile(
    r"\b(?P<what>[a-z][\w-]*)\s+(?:on|at|along)\s+the\s+(?P<side>north|south|east|west)(?:ern)?"
    r"\s+(?:side|edge|end|wall)\b",
    re.IGNORECASE,
)
_ZH_ON_A_SIDE = re.compile(r"(?P<what>[\u4e00-\u9fff]{1,4})在(?P<side>[北南东西])(?:边|面|侧|端)")


# A route through named places: "a dotted path from the ship to the X, passing the palm
# tree", "从码头出发，经过灯塔，到达宝藏".
_A_ROUTE = re.compile(
    r"\b(?:path|route|trail|way|road|journey|track|map|maze|labyrinth)s?\b"
    r"|路线|路径|小路|(?:地|藏宝|路线|线路|导览)图|迷宫",
    re.IGNORECASE,
)
_PLACE_WORDS = r"(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,3}?"
_EN_ROUTE = re.compile(
    rf"\bfrom\s+(?P<start>{_PLACE_WORDS})\s+to\s+(?P<end>{_PLACE_WORDS}),?\s+"
    rf"(?:passing(?:\s+by)?|via|past|through|by\s+way\s+of|stopping\s+at)\s+"
    rf"(?P<via>{_PLACE_WORDS}(?:(?:,?\s+and\s+|,?\s+then\s+){_PLACE_WORDS}){{0,3}})"
    r"(?=[,.;!?)]|$|\s+(?:in|on|with|for|drawn|as)\b)",
    re.IGNORECASE,
)
_ZH_ROUTE = re.compile(
    r"从(?P<start>[^，,。；从]{1,10}?)(?:出发)?[，,]?\s*(?:先)?(?:经过|路过|途经)(?P<via>[^，,。；]{1,20}?)"
    r"[，,]?\s*(?:再|然后|最后)?(?:到达|到|去|抵达)(?P<end>[^，,。；]{1,10})"
)


def _route(prompt: str) -> list[str]:
    """The order of the places a route passes, said once plainly."""
    if not _A_ROUTE.search(prompt):
        return []
    if m := _EN_ROUTE.search(prompt):
        stops = [m.group("start"), *re.split(r",?\s+(?:and|then)\s+", m.group("via"))]
        stops.append(m.group("end"))
        return [f"the route goes {' → '.join(s.strip() for s in stops)}, in that order"]
    if m := _ZH_ROUTE.search(prompt):
        stops = [m.group("start"), *re.split(r"[、和]", m.group("via")), m.group("end")]
        return [f"路线依次经过：{' → '.join(s.strip() for s in stops)}"]
    return []


def with_structure(prompt: str, details: list[str], tracer: Tracer) -> list[str]:
    """The plan's details with what the request's kind of picture needs."""
    added: list[str] = []
    if _MAZE.search(prompt):
        language = "zh" if has_cjk(prompt) else "en"
        kept = []
        for detail in details:
            if _NOT_A_MAZE.search(detail):
                tracer.decision(
                    STEP, f"dropped detail {detail!r}: a maze has one way through", by="rules"
                )
            else:
                kept.append(detail)
        details = kept
        added += [need for need in _MAZE_NEEDS[language] if not _said(need, prompt, details)]
    time = clock_time(prompt)
    if time is not None:
        for detail in [d for d in details if about_hands(d)]:
            tracer.decision(
                STEP, f"dropped detail {detail!r}: the hands follow from the time", by="rules"
            )
        details = [d for d in details if not about_hands(d)]
        added += hands(time, chinese=has_cjk(prompt))
    if _FROM_ABOVE.search(prompt):
        added += _edges(prompt)
    added += _route(prompt)
    if added:
        tracer.decision(STEP, f"the kind of picture needs: {'; '.join(added)}", by="rules")
    return [*added, *details]


def _edges(prompt: str) -> list[str]:
    """Each thing the request puts on a compass side, placed on the picture too: "entrance on
    the south side" -> "the entrance on the south side, toward the bottom of the picture"."""
    found = [
        f"the {m.group('what')} on the {m.group('side').lower()} side, toward the"
        f" {_SIDES[m.group('side').lower()]} of the picture"
        for m in _ON_A_SIDE.finditer(prompt)
    ]
    found += [
        f"{m.group('what')}在{m.group('side')}边，即画面{_ZH_SIDES[m.group('side')]}方"
        for m in _ZH_ON_A_SIDE.finditer(prompt)
    ]
    return found


def _said(need: str, prompt: str, details: list[str]) -> bool:
    return any(need.lower() in text.lower() for text in [prompt, *details])
