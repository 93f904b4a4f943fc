"""What a small model copies from the picture prompt's examples into a plan it has no
business in.

The picture prompt explains "items" with groups everyone knows (the primary colours, the
colours of a rainbow, the continents, the planets, the days of the week). Asked about a
poster in a brand's teal and sand, a cube net or a snakes-and-ladders board, a 1.5B model
answers with one of those groups ("red, yellow, blue"; "seven continents arranged in a
grid"), and the image would carry them. A group is kept only where the request speaks of
it: by its name, or by naming one of its members.

The gap prompt's examples carry programs ("how many hours are in a week" -> 7*24); asked
"一年有多少个小时", the model answered 7*24 again. A program that is an example's, for a phrase
that is not that example's, is not kept: the reason step asks for one for the phrase itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    name: re.Pattern[str]  # how a request speaks of the group
    members: re.Pattern[str]  # one member, in either language


@dataclass(frozen=True)
class ColourList:
    """Colours are too common to drop one by one (a traffic light's "green light on, red
    light off" is right): only the example's whole list, as bare answers, is a copy."""

    name: re.Pattern[str]
    colours: tuple[frozenset[str], ...]  # the list, in each language


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


COLOUR_LISTS = (
    ColourList(
        _words(r"primary\s+colou?rs?|三原色|原色"),
        (frozenset({"red", "yellow", "blue"}), frozenset({"红", "黄", "蓝"})),
    ),
    ColourList(
        _words(r"rainbow|spectrum|prism|彩虹|光谱|棱镜|七色|七种颜色"),
        (
            frozenset({"red", "orange", "yellow", "green", "blue", "indigo", "violet"}),
            frozenset({"红", "橙", "黄", "绿", "蓝", "靛", "紫"}),
        ),
    ),
)
GROUPS = (
    Group(
        _words(r"continents?|world|globe|earth|大洲|七大洲|各大洲|世界|全球|地球"),
        _words(
            r"\b(?:africa|antarctica|asia|australia|oceania|europe|(?:north|south)\s+america)\b"
            r"|\bcontinents?\b|非洲|南极洲|亚洲|大洋洲|欧洲|美洲|大洲"
        ),
    ),
    Group(
        _words(r"planets?|solar\s+system|space|cosmos|universe|行星|太阳系|宇宙|太空"),
        _words(
            r"\b(?:mercury|venus|earth|mars|jupiter|saturn|uranus|neptune|planets?)\b"
            r"|水星|金星|地球|火星|木星|土星|天王星|海王星|行星"
        ),
    ),
    Group(
        _words(
            r"days?\s+of\s+the\s+week|week(?:days?|ly)?\b|timetable|schedule|calendar|planner"
            r"|rota\b|星期|周[一二三四五六日]|一周|每周|课程表|日程|日历|周计划"
        ),
        _words(
            r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bdays\s+of\s+the\s+week\b"
            r"|星期[一二三四五六日天]|周[一二三四五六日]"
        ),
    ),
    Group(
        _words(r"primary\s+colou?rs?|rainbow|三原色|彩虹"),
        _words(r"\bprimary\s+colou?rs?\b|\brainbow\b|三原色|彩虹"),
    ),
)


def uncopied(answers: list[str], request: str) -> tuple[list[str], list[str]]:
    """(kept, dropped): `answers` without a group of the prompt's examples that the request
    does not speak of: answers that name the group or list members of it ("seven continents
    arranged in a grid"; "Mercury", "Venus", …), or the example's whole list of colours."""
    dropped: set[int] = set()
    for group in GROUPS:
        if group.name.search(request) or group.members.search(request):
            continue
        hits = [i for i, a in enumerate(answers) if group.members.search(a)]
        if len(hits) >= 2 or any(group.name.search(answers[i]) for i in hits):
            dropped.update(hits)
        dropped.update(i for i in hits if len(group.members.findall(answers[i])) >= 2)
    if _COLOURS_OF_THEIR_OWN.search(request):
        return _split(answers, dropped)
    every = {c for listed in COLOUR_LISTS for colours in listed.colours for c in colours}
    bare = {a.strip().lower(): i for i, a in enumerate(answers) if a.strip().lower() in every}
    for listed in COLOUR_LISTS:
        if not listed.name.search(request) and set(bare) in listed.colours:
            dropped.update(bare.values())
    return _split(answers, dropped)


def _split(answers: list[str], dropped: set[int]) -> tuple[list[str], list[str]]:
    kept = [a for i, a in enumerate(answers) if i not in dropped]
    return kept, [a for i, a in enumerate(answers) if i in dropped]


# Things with colours of their own, which a list of colours may rightly name (Colombia's
# flag is yellow, blue and red; so is a superhero's costume).
_COLOURS_OF_THEIR_OWN = _words(
    r"\bflags?\b|\blogos?\b|\bcostumes?\b|\buniforms?\b|\bjersey|\bkits?\b|superhero"
    r"|\bcrest|coat\s+of\s+arms|\bemblem|国旗|旗|标志|队服|徽"
)


_EXAMPLE = re.compile(r"^(?P<request>\".*?\")\s*->\s*(?P<answer>\{.*\})\s*$", re.MULTILINE)


def example_programs(instructions: str) -> dict[str, str]:
    """{program: its phrase} for the examples in a prompt's instructions."""
    programs: dict[str, str] = {}
    for found in _EXAMPLE.finditer(instructions):
        try:
            answer = json.loads(found["answer"])
        except ValueError:
            continue
        for gap in answer.get("gaps", []) if isinstance(answer, dict) else []:
            if isinstance(gap, dict) and gap.get("expression"):
                programs[_compact(str(gap["expression"]))] = str(gap.get("span", ""))
    return programs


def copied_program(expression: str, span: str, instructions: str) -> bool:
    """Whether `expression` is an example's program, written for another phrase."""
    example = example_programs(instructions).get(_compact(expression))
    return example is not None and example.strip().lower() != span.strip().lower()


def _compact(expression: str) -> str:
    return re.sub(r"\s+", "", expression)
