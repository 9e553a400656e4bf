"""A flat document's values as KQL's queries read them: every leaf of a field (arrays flattened, nulls left out)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..documents import values_under
from ..glob import STAR, Glob

Event = Mapping[str, Any]


def leaf_values(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        out: list = []
        for item in value:
            out.extend(leaf_values(item))
        return out
    return [value]


def field_values(event: Event, field: str) -> list:
    value = event.get(field)
    if value is None:
        return []
    if value.__class__ is list:
        return leaf_values(value)
    return [value]


def flattened_values(event: Event, field: str) -> list:
    """The leaf values of a flattened field: the field's own and those of every key under it."""
    out = field_values(event, field)
    for value in values_under(event, field):
        out.extend(leaf_values(value))
    return out


def field_glob(pattern: str) -> Glob:
    """A field-name pattern (`*` only): matched without backtracking, like the value wildcards."""
    return Glob([STAR if part == "*" else part for part in pattern])


def any_value(test: Callable[[Any], bool], values: list) -> bool:
    for value in values:
        if test(value):
            return True
    return False
