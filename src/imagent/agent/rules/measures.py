"""A measure of a figure that the request asks to show: "right triangle with legs 6 and 8 —
label the hypotenuse", "画一个长方形，长12厘米，宽5厘米，在中间写出它的周长".

The rule only finds the phrase ("the hypotenuse", "它的周长"); the program that computes
it is the model's (the `reason` route asks for one when a gap has none), and the value is
computed by the safe evaluator. It needs three things together, so that "the area around
the lake" on a tourist map is not arithmetic: a figure (a triangle, a circle, a room), a
number the request gives, and a verb that asks for the measure to be shown or worked out.
"""

from __future__ import annotations

import re

from imagent.agent.numbers import read_numbers

_QUANTITY_EN = (
    r"surface\s+area|perimeter|area|circumference|hypotenuse|diagonal|volume"
    r"|(?:third|missing)\s+(?:angle|side)|radius|diameter|side\s+length"
)
_QUANTITY_ZH = r"表面积|周长|面积|体积|容积|斜边|对角线|半径|直径|边长|第三个角|第三条边|第三边"
_ASK_EN = (
    r"label(?:l?ed|l?ing)?|mark(?:ed|ing)?|writ(?:e|ten|ing)|show(?:s|ing|n)?|display(?:s|ed|ing)?"
    r"|annotat(?:e|ed|ing)|add(?:ed|ing)?|giv(?:e|en|ing)|print(?:ed)?|state"
    r"|includ(?:e|ed|ing)|find|work\s+out|calculat(?:e|ed|ing)|comput(?:e|ed|ing)|what\s+is|what's"
)
# "label the hypotenuse", "with its circumference" ("with the area rug" is furniture).
_MEASURE_EN = re.compile(
    rf"\b(?:(?:{_ASK_EN})\s+(?:in\s+|on\s+|out\s+)?(?P<span>(?:the|its|their)\s+(?:{_QUANTITY_EN}))"
    rf"|(?:with|and)\s+(?P<own>(?:its|their)\s+(?:{_QUANTITY_EN})))\b",
    re.IGNORECASE,
)
# "…, its area written underneath": the measure first, then how it is shown.
_MEASURE_SHOWN_EN = re.compile(
    rf"\b(?P<span>(?:the|its|their)\s+(?:{_QUANTITY_EN}))\s+(?:is\s+|are\s+)?"
    r"(?:written|shown|labell?ed|marked|printed|displayed|noted|given|underneath|beneath|below"
    r"|above|beside|next\s+to|inside|in\s+the\s+(?:middle|centre|center|corner))\b",
    re.IGNORECASE,
)
_MEASURE_ZH = re.compile(
    rf"(?:标出|写出|写上|标上|标注|注明|算出|求出|显示|写明|并标出|求)\s*(?P<span>(?:它的|其|这个\S{{0,3}}的)?"
    rf"(?:{_QUANTITY_ZH}))"
    rf"|(?P<asked>(?:它的|其)?(?:{_QUANTITY_ZH})\s*(?:是多少|为多少|有多少|多少|是几))"
)
_FIGURE = re.compile(
    r"\b(?:triangles?|rectangles?|squares?|circles?|cubes?|cuboids?|boxe?s?|spheres?|cylinders?"
    r"|cones?|trapezoids?|trapeziums?|parallelograms?|rhombus(?:es)?|polygons?|pentagons?"
    r"|hexagons?|octagons?|prisms?|pyramids?|rooms?|gardens?|fields?|plots?|lawns?|pools?"
    r"|tanks?|floors?|tables?|rugs?|walls?|yards?|pitch(?:es)?|courts?|pizzas?|wheels?"
    r"|legs?|sides?|radius|diameter)\b"
    r"|三角形|长方形|正方形|矩形|圆形|圆|立方体|正方体|长方体|球|圆柱|圆锥|梯形|平行四边形|菱形"
    r"|多边形|五边形|六边形|房间|花园|操场|池|桌|地毯|直角边",
    re.IGNORECASE,
)
# A number the request gives: not an ordinal, an edition or a year.
_GIVEN = re.compile(r"(?<![第\d.])(?!(?:19|20)\d\d\b)\d+(?:\.\d+)?(?![\d.]|(?:st|nd|rd|th)\b)")


def measure_spans(prompt: str) -> list[str]:
    """The phrases of `prompt` that ask for a measure of a figure it gives numbers for."""
    if not _FIGURE.search(prompt) or not _GIVEN.search(read_numbers(prompt).text):
        return []
    spans = [m["span"] or m["own"] for m in _MEASURE_EN.finditer(prompt)]
    spans += [m["span"] for m in _MEASURE_SHOWN_EN.finditer(prompt)]
    spans += [m["span"] or m["asked"] for m in _MEASURE_ZH.finditer(prompt)]
    return list(dict.fromkeys(s.strip() for s in spans))


def names_a_measure(span: str) -> bool:
    """Whether a phrase names a measure ("its circumference", "周长"), figure or not."""
    return bool(re.search(rf"\b(?:{_QUANTITY_EN})\b|{_QUANTITY_ZH}", span, re.IGNORECASE))
