"""KQL evaluated the way Elasticsearch answers the query Kibana builds from it.

On keyword fields a term matches exactly and case-sensitively; an unquoted `*` is a wildcard; `field: *`
is an `exists` query (an empty string exists, a missing field or null does not); a multi-valued field
matches when any of its values does; `not` also matches documents that lack the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..fields import NUMBER_TYPES, STRING_TYPES, field_type
from .ast import And, Exists, Literal, Match, Node, Not, Or, Range, ValueAnd, ValueNot, ValueOr

Event = Mapping[str, Any]
Predicate = Callable[[Event], bool]


def _values(event: Event, field: str) -> list:
    value = event.get(field)
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [value]


def _literal_test(field: str, literal: Literal) -> Callable[[Any], bool]:
    kind = field_type(field)
    if literal.is_wildcard:
        pattern = re.compile("".join(".*" if c == "*" else re.escape(c) for c in literal.text), re.DOTALL)
        return lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None
    text = literal.text
    if kind in NUMBER_TYPES:
        try:
            number = float(text)
        except ValueError:
            return lambda v: False
        return lambda v: not isinstance(v, bool) and isinstance(v, (int, float, str)) and _as_float(v) == number
    if kind == "boolean":
        wanted = text.lower() == "true"
        return lambda v: (v if isinstance(v, bool) else str(v).lower() == "true") == wanted
    return lambda v: (v if isinstance(v, str) else _as_text(v)) == text


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _exact_strings(node: Node) -> set[str] | None:
    """The accepted strings when a value expression is a plain literal or an `or` of plain literals."""
    items = node.items if isinstance(node, ValueOr) else (node,)
    if all(isinstance(i, Literal) and not i.is_wildcard for i in items):
        return {i.text for i in items}
    return None


def _value_predicate(field: str, node: Node) -> Predicate:
    """A value expression applied to one field, as a document predicate."""
    exact = _exact_strings(node) if field_type(field) in STRING_TYPES else None
    if exact is not None:
        # the common case, made fast: a single string value compared with a set of strings
        general = _value_predicate_general(field, node)

        def exact_match(event: Event) -> bool:
            value = event.get(field)
            if value.__class__ is str:
                return value in exact
            return value is not None and general(event)

        return exact_match
    return _value_predicate_general(field, node)


def _value_predicate_general(field: str, node: Node) -> Predicate:
    if isinstance(node, Literal):
        test = _literal_test(field, node)
        return lambda event: any(test(v) for v in _values(event, field))
    if isinstance(node, ValueOr):
        parts = [_value_predicate_general(field, i) for i in node.items]
        return lambda event: any(p(event) for p in parts)
    if isinstance(node, ValueAnd):
        parts = [_value_predicate_general(field, i) for i in node.items]
        return lambda event: all(p(event) for p in parts)
    if isinstance(node, ValueNot):
        inner = _value_predicate_general(field, node.item)
        return lambda event: not inner(event)
    raise TypeError(f"unexpected value node {node!r}")


_RANGE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _range_predicate(node: Range) -> Predicate:
    compare = _RANGE[node.op]
    if field_type(node.field) in NUMBER_TYPES:
        bound = _as_float(node.value.text)

        def numeric(event: Event) -> bool:
            return bound is not None and any(
                (x := _as_float(v)) is not None and compare(x, bound) for v in _values(event, node.field)
            )

        return numeric
    bound_text = node.value.text
    return lambda event: any(compare(_as_text(v), bound_text) for v in _values(event, node.field))


def compile_kql(node: Node) -> Predicate:
    """Turn a parsed KQL tree into a predicate over flat (dotted-key) events."""
    if isinstance(node, And):
        parts = [compile_kql(i) for i in node.items]

        def conjunction(event: Event) -> bool:
            for part in parts:
                if not part(event):
                    return False
            return True

        return conjunction
    if isinstance(node, Or):
        parts = [compile_kql(i) for i in node.items]

        def disjunction(event: Event) -> bool:
            for part in parts:
                if part(event):
                    return True
            return False

        return disjunction
    if isinstance(node, Not):
        inner = compile_kql(node.item)
        return lambda event: not inner(event)
    if isinstance(node, Exists):
        field = node.field

        def exists(event: Event) -> bool:
            value = event.get(field)
            if value is None:
                return False
            return bool(_values(event, field)) if value.__class__ is list else True

        return exists
    if isinstance(node, Match):
        return _value_predicate(node.field, node.value)
    if isinstance(node, Range):
        return _range_predicate(node)
    raise TypeError(f"unexpected KQL node {node!r}")
