"""The unit of a computed value, from the units of the request's own numbers.

"a rectangle 12 cm by 5 cm, its perimeter written in the middle" is computed as
`2 * (12 + 5)`: the answer is "34 cm", not "34". The expression is read the way a physicist
checks a formula: each number the request gives with a unit carries that unit to the power
one ("36 平方厘米" to the power two), every other number is a plain factor, sums need equal
units, products add powers, `sqrt` halves them. A result of power one, two or three gets its
unit ("34 cm", "60 cm²", "60平方厘米"); anything else (mixed units, a power of four, a date)
gets none, the same as before this module: the number alone is never wrong, a wrong unit is.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

from imagent.agent.evaluate import format_number, normalized
from imagent.agent.numbers import read_numbers
from imagent.agent.rules.spans import has_cjk

MAX_POWER = 3


@dataclass(frozen=True)
class _Unit:
    symbol: str  # how it is written after a number in English text ("cm")
    chinese: str  # 厘米
    family: str  # units of one family can be compared; others are never mixed


_UNITS: dict[str, _Unit] = {}


def _add(unit: _Unit, *names: str) -> None:
    """`names` are how the unit is read; its symbol too, unless that is a common word."""
    for name in ({unit.symbol, unit.chinese} - _NOT_READ) | set(names):
        _UNITS[name.lower()] = unit


# "2 in 3 people", "42码的鞋" (a shoe size), "h"/"min"/"sec" symbols: never read as units.
_NOT_READ = {"in", "码", "h", "min", "sec"}


_add(_Unit("mm", "毫米", "length"), "millimetre", "millimetres", "millimeter", "millimeters")
_add(_Unit("cm", "厘米", "length"), "centimetre", "centimetres", "centimeter", "centimeters")
_add(_Unit("dm", "分米", "length"), "decimetre", "decimetres", "decimeter", "decimeters")
_add(_Unit("m", "米", "length"), "metre", "metres", "meter", "meters")
_add(_Unit("km", "千米", "length"), "公里", "kilometre", "kilometres", "kilometer", "kilometers")
_add(_Unit("in", "英寸", "length"), "inch", "inches")
_add(_Unit("ft", "英尺", "length"), "foot", "feet")
_add(_Unit("yd", "码", "length"), "yard", "yards")
_add(_Unit("mi", "英里", "length"), "mile", "miles")
_add(_Unit("g", "克", "mass"), "gram", "grams", "gramme", "grammes")
_add(_Unit("kg", "千克", "mass"), "公斤", "kilogram", "kilograms", "kilo", "kilos")
_add(_Unit("lb", "磅", "mass"), "lbs")  # not "pounds": money as often as weight
# Money: a price the request gives makes the computed value a price, in its currency.
_add(_Unit("$", "$", "money"), "dollars", "dollar", "bucks", "usd")
_add(_Unit("€", "€", "money"), "euros", "euro", "eur")
_add(_Unit("£", "£", "money"), "gbp")
_add(_Unit("¥", "¥", "money"), "yen", "jpy")
_add(_Unit("元", "元", "money"), "块钱", "rmb")  # not 块 alone: "8块砖" counts bricks
# Time: never written after a value here, but it keeps "240 km in 3 hours" from reading as
# "80 km" (km per hour is not a unit this module writes).
_add(_Unit("h", "小时", "time"), "hour", "hours", "hr", "hrs")
_add(_Unit("min", "分钟", "time"), "minute", "minutes", "mins")
_add(_Unit("sec", "秒", "time"), "second", "seconds", "secs")
_add(_Unit("ml", "毫升", "volume"), "millilitre", "millilitres", "milliliter", "milliliters")
_add(_Unit("L", "升", "volume"), "litre", "litres", "liter", "liters")

_PREFIXES = ("$", "€", "£", "¥")  # written before the number
_LATIN = sorted((n for n in _UNITS if n.isascii() and n not in _PREFIXES), key=len, reverse=True)
_CJK = sorted((n for n in _UNITS if not n.isascii() and n not in _PREFIXES), key=len, reverse=True)
_NUMBER = r"(?<![A-Za-z\d.])(?P<n>\d+(?:\.\d+)?)"
_MEASURE = re.compile(
    rf"{_NUMBER}[\s-]?(?:(?P<sq>square|sq\.?|cubic)\s+)?"
    rf"(?P<latin>{'|'.join(_LATIN)})(?P<pow>[²³]|\^?[23](?!\d))?\b"
    rf"|{_NUMBER.replace('<n>', '<cn>')}\s*(?P<cpow>平方|立方)?(?P<cjk>{'|'.join(_CJK)})"
    r"|(?P<prefix>[$€£¥])\s?(?P<pn>\d+(?:,\d{3})*(?:\.\d+)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Dimension:
    unit: _Unit | None  # None: a plain number
    power: float = 0

    @property
    def plain(self) -> bool:
        return self.unit is None or self.power == 0


_PLAIN = Dimension(None)


class _Unknown(Exception):
    """The expression's unit cannot be told (mixed units, a function of a length...)."""


def measures(text: str) -> dict[float, Dimension]:
    """The numbers `text` gives with a unit: {12.0: cm¹, 36.0: cm²}. A number given with two
    different units is left out: which one the expression means cannot be told."""
    found: dict[float, Dimension] = {}
    clashes: set[float] = set()
    read = read_numbers(text).text
    given: Counter[float] = Counter()
    for match in _MEASURE.finditer(read):
        number = float((match["n"] or match["cn"] or match["pn"]).replace(",", ""))
        unit = _UNITS[(match["latin"] or match["cjk"] or match["prefix"]).lower()]
        dimension = Dimension(unit, _power(match))
        if found.get(number, dimension) != dimension:
            clashes.add(number)
        found[number] = dimension
        given[number] += 1
    # A number also given without a unit ("3 boxes weighing 3 kg each"): which one the
    # expression means cannot be told either.
    everywhere = Counter(float(n.replace(",", "")) for n in _ANY_NUMBER.findall(read))
    clashes |= {n for n in found if everywhere[n] > given[n]}
    return {n: d for n, d in found.items() if n not in clashes}


_ANY_NUMBER = re.compile(r"(?<![\d.,])\d+(?:,\d{3})*(?:\.\d+)?")


def _other_units(text: str, unit: _Unit) -> bool:
    """Whether `text` names another unit of `unit`'s family ("how many grams in 5
    kilograms"): then the value is a conversion, whose unit this module does not tell."""
    named = {w.lower() for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _UNITS}
    named |= set(re.findall("|".join(_CJK), text))  # longest first: 厘米 is not 米
    return any(_UNITS[n].family == unit.family and _UNITS[n] != unit for n in named)


def _power(match: re.Match[str]) -> int:
    marks = (match["sq"] or "").lower() + (match["pow"] or "") + (match["cpow"] or "")
    if any(m in marks for m in ("cubic", "³", "3", "立方")):
        return 3
    if any(m in marks for m in ("sq", "²", "2", "平方")):
        return 2
    return 1


def unit_of(expression: str, text: str) -> str:
    """How the value of `expression` is written after its number, in `text`'s script
    ("cm", "cm²", "平方厘米"), or "" when it has no unit or the unit cannot be told."""
    given = measures(text)
    if not given:
        return ""
    try:
        dimension = _dimension(ast.parse(normalized(expression), mode="eval").body, given)
    except (SyntaxError, _Unknown):
        return ""
    if dimension.plain or dimension.unit is None:
        return ""
    power = dimension.power
    if power not in (1, 2, 3):
        return ""
    if _other_units(text, dimension.unit):
        return ""
    if dimension.unit.family == "money":
        return dimension.unit.symbol if power == 1 else ""
    if dimension.unit.family == "time":
        return ""
    return _written(dimension.unit, int(power), chinese=has_cjk(text))


def _written(unit: _Unit, power: int, *, chinese: bool) -> str:
    if chinese:
        return {1: "", 2: "平方", 3: "立方"}[power] + unit.chinese
    return unit.symbol + {1: "", 2: "²", 3: "³"}[power]


def with_unit(value: float | int, unit: str) -> str:
    """The value as people write it with its unit: '34 cm', '34厘米', '$9.00', '18元'."""
    if unit in _PREFIXES:
        return format_number(value, money=True).replace("$", unit, 1)
    if not unit:
        return format_number(value)
    # A measure is written to two decimals (78.54 cm², not 78.5398 cm²) unless it is small.
    number = format_number(round(value, 2) if abs(value) >= 1 else value)
    return f"{number}{unit}" if has_cjk(unit) else f"{number} {unit}"


def _dimension(node: ast.expr, given: dict[float, Dimension]) -> Dimension:
    match node:
        case ast.Constant(value=value) if isinstance(value, int | float) and not isinstance(
            value, bool
        ):
            return given.get(float(value), _PLAIN)
        case ast.Name(id="pi" | "e"):
            return _PLAIN
        case ast.UnaryOp(op=ast.USub() | ast.UAdd(), operand=operand):
            return _dimension(operand, given)
        case ast.BinOp(left=left, op=ast.Add() | ast.Sub(), right=right):
            a, b = _dimension(left, given), _dimension(right, given)
            if a != b:
                raise _Unknown
            return a
        case ast.BinOp(left=left, op=ast.Mult() | ast.Div() as op, right=right):
            a, b = _dimension(left, given), _dimension(right, given)
            sign = 1 if isinstance(op, ast.Mult) else -1
            return _combined(a, b, sign)
        case ast.BinOp(left=left, op=ast.Pow(), right=ast.Constant(value=exponent)) if isinstance(
            exponent, int | float
        ) and not isinstance(exponent, bool):
            base = _dimension(left, given)
            return base if base.plain else Dimension(base.unit, base.power * exponent)
        case ast.Call(func=ast.Name(id="sqrt"), args=[argument], keywords=[]):
            inner = _dimension(argument, given)
            return inner if inner.plain else Dimension(inner.unit, inner.power / 2)
        case ast.Call(func=ast.Name(id="hypot" | "min" | "max" | "abs"), args=args, keywords=[]):
            dimensions = {_dimension(a, given) for a in args}
            if len(dimensions) != 1:
                raise _Unknown
            return dimensions.pop()
        case ast.Call(func=ast.Name(id="round"), args=[first, *_], keywords=[]):
            return _dimension(first, given)
    raise _Unknown


def _combined(a: Dimension, b: Dimension, sign: int) -> Dimension:
    if b.plain:
        return a
    if a.plain:
        return Dimension(b.unit, sign * b.power)
    if a.unit != b.unit:
        raise _Unknown  # cm × m, or kg / m: not something this module writes
    return Dimension(a.unit, a.power + sign * b.power)
