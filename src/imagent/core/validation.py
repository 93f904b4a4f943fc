"""Pydantic validation errors in words a user can act on: "must be between 0 and 10"."""

from __future__ import annotations

import typing
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic_core import ErrorDetails

Bounds = tuple[object | None, object | None]  # (lowest allowed, highest allowed)


def model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model an annotation holds, and whether it is a dict of such models."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, False
        if typing.get_origin(arg) is dict:
            value = typing.get_args(arg)[-1] if typing.get_args(arg) else None
            if isinstance(value, type) and issubclass(value, BaseModel):
                return value, True
    return None, False


def field_bounds(model: type[BaseModel], loc: tuple[int | str, ...]) -> Bounds:
    """The (ge or gt, le or lt) bounds of the field at `loc`, following nested models."""
    parts = [p for p in loc if isinstance(p, str)]
    while parts:
        field = model.model_fields.get(parts.pop(0))
        if field is None:
            return None, None
        if not parts:
            low = high = None
            for item in field.metadata:
                if isinstance(item, annotated_types.Ge | annotated_types.Gt):
                    low = item.ge if isinstance(item, annotated_types.Ge) else item.gt
                if isinstance(item, annotated_types.Le | annotated_types.Lt):
                    high = item.le if isinstance(item, annotated_types.Le) else item.lt
            return low, high
        inner, keyed = model_in(field.annotation)
        if inner is None:
            return None, None
        if keyed and parts:
            parts.pop(0)  # the dict key (a provider's name)
        model = inner
    return None, None


_KINDS = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be a table of settings",
    "model_type": "must be a table of settings",
    "model_attributes_type": "must be a table of settings",
    "missing": "is required",
    "extra_forbidden": "is not a known setting",
}
_RANGES = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def reason(error: ErrorDetails, bounds: Bounds = (None, None)) -> str:
    """What is wrong with a value, in words: 'must be between 0 and 10'."""
    kind = error["type"]
    if kind in _RANGES:
        low, high = bounds
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
        return str(error["msg"]).replace("Input should be", "must be")
    if kind == "literal_error":
        return f"must be one of {error.get('ctx', {}).get('expected', '')}"
    if kind in _KINDS:
        return _KINDS[kind]
    return str(error["msg"]).removeprefix("Value error, ").replace("Input should", "should")


def shown(value: object) -> str:
    """A bad value as the user typed it, quoted when it is text."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."
