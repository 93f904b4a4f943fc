"""A computed value carries the unit of the numbers it was computed from, or none at all:
the number alone is never wrong, a wrong unit is."""

from __future__ import annotations

import pytest

from imagent.agent.units import measures, unit_of, with_unit


@pytest.mark.parametrize(
    ("expression", "request_text", "unit"),
    [
        ("2 * (12 + 5)", "画一个长方形，长12厘米，宽5厘米，在中间写出它的周长", "厘米"),
        ("12*5", "长12厘米，宽5厘米的长方形的面积", "平方厘米"),
        ("sqrt(36)", "面积36平方厘米的正方形，标出边长", "厘米"),
        ("2*3.14*5", "半径是五厘米的圆，写出它的周长", "厘米"),  # number words are read
        ("sqrt(6**2 + 8**2)", "a right triangle with legs 6 cm and 8 cm", "cm"),
        ("sqrt(6**2 + 8**2)}", "a right triangle with legs 6 cm and 8 cm", "cm"),  # as evaluated
        ("12 * 5", "a rectangle 12 cm by 5 cm with its area", "cm²"),
        ("3**3", "a cube with 3 m edges, label the volume", "m³"),
        ("36 / 4", "a 36 cm² tile cut into 4 equal pieces", "cm²"),
        ("2*pi*5", "a circle of radius 5 inches with its circumference", "in"),
        ("round(12*1.5, 1)", "12 kg of flour and half as much again", "kg"),
    ],
)
def test_the_unit_follows_the_request_s_measures(
    expression: str, request_text: str, unit: str
) -> None:
    assert unit_of(expression, request_text) == unit


@pytest.mark.parametrize(
    ("expression", "request_text"),
    [
        ("12 / 3", "12 in 3 boxes: how many in each box"),  # "in" is a word, not inches
        ("42 + 1", "42码的鞋大一码"),  # a shoe size, not yards
        ("12 * 2", "12 pounds for two cakes"),  # pounds: money as often as weight
        ("12 + 1", "a 12 cm ruler and one more"),  # a length plus a plain number
        ("3 * 2", "3 m of rope and 2 ft of string"),  # metres times feet
        ("150 / 60", "150 km at 60 km an hour"),  # km / km: no unit
        ("6 * 7", "a banner with 6 times 7"),  # no units given at all
        ("3 + 3", "3 m of rope and 3 ft of string"),  # one number, two units: ambiguous
        ("5 * 1000", "how many grams in 5 kilograms"),  # a conversion: not "5000 kg"
        ("2 * 1000", "2千米等于多少米"),
        ("240 / 3", "240 km in 3 hours: the average speed"),  # km per hour: not "80 km"
        ("100 / 4", "a 100 m race run in 4 seconds"),
        ("3 * 3", "3 boxes weighing 3 kg each"),  # 3 is a count and a weight: not "9 kg²"
        ("2 * 2", "2 ropes, each 2 m long"),
        ("12**4", "a 12 cm square to the fourth power"),  # cm⁴ is not written
    ],
)
def test_no_unit_when_it_cannot_be_told(expression: str, request_text: str) -> None:
    assert unit_of(expression, request_text) == ""


def test_measures_reads_powers_and_leaves_out_clashes() -> None:
    found = measures("a 2 square metre rug, a 5 ft² mat, 4 sq ft of tile, 3 m and 3 ft")
    assert {n: (d.unit.symbol if d.unit else "", d.power) for n, d in found.items()} == {
        2.0: ("m", 2),
        5.0: ("ft", 2),
        4.0: ("ft", 2),
    }


def test_with_unit_writes_the_value_as_people_do() -> None:
    assert with_unit(34, "cm") == "34 cm"
    assert with_unit(34, "厘米") == "34厘米"
    assert with_unit(31.4159, "") == "31.4159"
    assert with_unit(9, "$") == "$9.00"
    assert with_unit(1320, "£") == "£1,320.00"
    assert with_unit(18, "元") == "18元"


@pytest.mark.parametrize(
    ("expression", "request_text", "unit"),
    [
        ("0.15 * 60", "a tip calculator screen showing 15% tip on a $60 bill", "$"),
        ("3 * 6", "超市价签：苹果每斤6元，买3斤一共多少钱", "元"),
        ("2*12 + 3", "2 pizzas for 12 dollars each and a soda for 3 dollars", "$"),
        ("1200 * 1.1", "a £1,200 laptop plus 10% tax", "£"),
        ("18 * 2", "¥18 each, two of them", "¥"),  # yen or yuan: the sign as written
        ("5 * 8", "每块砖重5千克，8块砖一共多少千克", "千克"),  # 块 counts bricks, not money
        ("60 / 12", "$60 shared by 12 friends", "$"),
        ("60 / 12", "$60 for 12 m of fabric", ""),  # dollars per metre: not written
    ],
)
def test_a_value_computed_from_prices_is_a_price(
    expression: str, request_text: str, unit: str
) -> None:
    assert unit_of(expression, request_text) == unit


def test_a_measure_is_written_to_two_decimals_unless_it_is_small() -> None:
    assert with_unit(78.5398, "cm²") == "78.54 cm²"
    assert with_unit(0.0125, "m") == "0.0125 m"
    assert with_unit(78.5398, "") == "78.5398"  # a plain number keeps what it had
