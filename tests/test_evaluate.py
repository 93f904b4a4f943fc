from datetime import date

import pytest

from imagent.agent.evaluate import ExpressionError, evaluate, format_number


@pytest.mark.parametrize(
    "expression,value",
    [
        ("17*23", 391),
        ("3*4.50+2*3.25", 20.0),
        ("2026-1990", 36),
        ("15*240/100", 36),
        ("sqrt(144)", 12),
        ("17 × 23", 391),
        ("2^10", 1024),
        ("round(sin(30), 3)", 0.5),
        ("current_year - 1990", 36),
        ("days_between(2026, 1, 1, 2026, 12, 25)", 358),
    ],
)
def test_expressions_compute(expression: str, value: float) -> None:
    assert evaluate(expression, today=date(2026, 11, 25)) == pytest.approx(value)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo hi')",
        "open('/etc/passwd')",
        "(1).__class__",
        "x + 1",
        "10**10**10",
        "1/0",
        "'a' * 3",
        "",
        "1 if True else 2",
        "[1, 2]",
        "factorial(1000)",
    ],
)
def test_unsafe_or_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression)


def test_numbers_are_shown_as_people_write_them() -> None:
    assert format_number(391.0) == "391"
    assert format_number(12.5) == "12.5"
    assert format_number(1 / 3) == "0.3333"
    assert format_number(20, money=True) == "$20.00"


@pytest.mark.parametrize(
    ("written", "value"),
    [("sqrt(6**2 + 8**2)}", 10.0), ("(2+3))", 5), ("2*3 =", 6), ("sqrt(4)]}", 2.0)],
)
def test_what_a_model_s_json_left_on_a_program_is_dropped(written: str, value: float) -> None:
    """A small model closed its JSON inside the string ("sqrt(6**2 + 8**2)}"); the braces
    mean nothing in an expression, so the program is computed without them."""
    assert evaluate(written) == value


def test_unbalanced_opening_parentheses_are_still_an_error() -> None:
    with pytest.raises(ExpressionError):
        evaluate("sqrt((6**2 + 8**2)")


def test_a_chinese_thousand_after_digits_multiplies_and_kilo_units_stay_units() -> None:
    from imagent.agent.numbers import read_numbers

    assert read_numbers("5千元").text == "5000元"
    assert read_numbers("1.5万人").text == "15000人"
    assert read_numbers("每块砖重5千克").text == "每块砖重5千克"  # kilograms, not 51000 grams
    assert read_numbers("3千米").text == "3千米"
    assert read_numbers("5百米").text == "500米"  # a hundred metres is not a unit
