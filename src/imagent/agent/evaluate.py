"""A safe evaluator for the programs the `reason` route writes.

Small models get arithmetic wrong when they answer directly but write correct expressions
(`3*4.5+2*3.25`, `2026-1990`). So the model writes, and this module computes: numbers,
arithmetic, a few math functions and date helpers. Nothing else is reachable: no names
beyond the allow-list, no attributes, no calls to anything but the listed functions.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from datetime import date
from typing import Any

MAX_EXPRESSION_CHARS = 300
MAX_POWER = 64  # keeps 10**10**10 from eating the machine
MAX_MAGNITUDE = 1e18

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def _days_between(y1: int, m1: int, d1: int, y2: int, m2: int, d2: int) -> int:
    return (date(y2, m2, d2) - date(y1, m1, d1)).days


def _functions() -> dict[str, Callable[..., Any]]:
    return {
        "abs": abs,
        "round": round,
        "min": min,
        "max": max,
        "sqrt": math.sqrt,
        "sin": lambda deg: math.sin(math.radians(deg)),
        "cos": lambda deg: math.cos(math.radians(deg)),
        "tan": lambda deg: math.tan(math.radians(deg)),
        "hypot": math.hypot,
        "factorial": lambda n: math.factorial(int(n)) if 0 <= n <= 50 else _too_big(),
        "days_between": _days_between,
    }


def _too_big() -> Any:
    raise ValueError("number too large")


class ExpressionError(ValueError):
    """The expression is not allowed or cannot be computed."""


def evaluate(expression: str, *, today: date | None = None) -> float | int:
    """Compute `expression` safely. `current_year`, `pi` and `e` are available as names."""
    expression = normalized(expression)
    if not expression or len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression is empty or over {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not an expression: {expression!r}") from exc
    names = {"pi": math.pi, "e": math.e, "current_year": (today or date.today()).year}
    try:
        value = _eval(tree.body, names, _functions())
    except ExpressionError:
        raise
    except (ArithmeticError, ValueError, TypeError, OverflowError) as exc:
        raise ExpressionError(f"cannot compute {expression!r}: {exc}") from exc
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"{expression!r} does not give a number")
    if abs(value) > MAX_MAGNITUDE or (isinstance(value, float) and not math.isfinite(value)):
        raise ExpressionError(f"{expression!r} gives a number too large to show")
    return value


def normalized(expression: str) -> str:
    """`expression` as Python writes it (× ÷ ^ as * / **), without what a model's JSON left
    on it: a closing brace or bracket ("sqrt(6**2 + 8**2)}"), a closing parenthesis nothing
    opened, or a trailing "=". These characters mean nothing in an expression, so dropping
    them changes no program."""
    text = expression.replace("×", "*").replace("÷", "/").replace("^", "**")
    text = text.strip().rstrip("}]=").strip()
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip()
    return text


def _eval(node: ast.expr, names: dict[str, Any], functions: dict[str, Callable[..., Any]]) -> Any:
    match node:
        case ast.Constant(value=value) if isinstance(value, int | float) and not isinstance(
            value, bool
        ):
            return value
        case ast.Name(id=name) if name in names:
            return names[name]
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            a, b = _eval(left, names, functions), _eval(right, names, functions)
            if isinstance(op, ast.Pow) and abs(b) > MAX_POWER:
                raise ExpressionError(f"exponent {b} is too large")
            return _BINARY[type(op)](a, b)
        case ast.UnaryOp(op=op, operand=operand) if type(op) in _UNARY:
            return _UNARY[type(op)](_eval(operand, names, functions))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in functions:
            return functions[name](*(_eval(arg, names, functions) for arg in args))
    raise ExpressionError(f"not allowed in an expression: {ast.unparse(node)!r}")


def format_number(value: float | int, *, money: bool = False) -> str:
    """Show a result as people write it: 391, $20.00 (money), 3.14."""
    if money:
        return f"${value:,.2f}"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")
