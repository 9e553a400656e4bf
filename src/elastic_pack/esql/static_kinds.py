"""What the query alone says of an expression's values before any row: whole number or double, date or not,
and the widening of CASE/COALESCE/GREATEST/LEAST values (the expression compiler reads these)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..fields import field_type
from .ast import BinOp, Call, Col, Duration, Lit, Period
from .operands import Expr, Row
from .functions import to_millis
from .values import date_text

Types = Callable[[str], "str | None"]  # a column's name -> its type (None: not known before the data)

_WIDENED = "\0widened"
_DOUBLE_TYPES = {"double", "float", "half_float", "scaled_float"}
_WHOLE_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
_DOUBLE_FUNCTIONS = {"TO_DOUBLE", "MV_AVG", "SQRT", "POW", "LOG10", "LOG", "SIGNUM", "ST_X", "ST_Y", "ST_DISTANCE"}
_WHOLE_FUNCTIONS = {"TO_INTEGER", "TO_LONG", "LENGTH", "MV_COUNT", "LOCATE", "DATE_DIFF"}
_SAME_AS_ARGUMENT = {"ABS", "ROUND", "FLOOR", "CEIL", "MV_MIN", "MV_MAX", "MV_SUM", "MV_FIRST", "MV_LAST", "GREATEST",
                     "LEAST"}


def _numeric_kind(node: Any, types: Types = field_type) -> str | None:
    """"double", "whole" or None (not a number, or not known before the data): a value's type where the
    query alone says it."""
    if isinstance(node, Lit):
        value = node.value
        return None if isinstance(value, bool) else "double" if isinstance(value, float) else \
            "whole" if isinstance(value, int) else None
    if isinstance(node, Col):
        kind = types(node.name)
        return "double" if kind in _DOUBLE_TYPES else "whole" if kind in _WHOLE_TYPES else None
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", "%"):
        kinds = {_numeric_kind(node.left, types), _numeric_kind(node.right, types)}
        return "double" if "double" in kinds else "whole" if kinds == {"whole"} else None
    if isinstance(node, Call):
        if node.name in _DOUBLE_FUNCTIONS:
            return "double"
        if node.name in _WHOLE_FUNCTIONS:
            return "whole"
        if node.name in _SAME_AS_ARGUMENT and node.args:
            return _numeric_kind(node.args[0], types)
        if node.name in ("CASE", "COALESCE"):
            kinds = {_numeric_kind(v, types) for v in _values_of(node)}
            return "double" if "double" in kinds else "whole" if kinds == {"whole"} else None
    return None


_DATE_FUNCTIONS = {"TO_DATETIME", "DATE_TRUNC", "NOW"}
_NUMBER_CONVERSIONS = {"TO_LONG", "TO_INTEGER", "TO_DOUBLE", "TO_UNSIGNED_LONG"}


def _is_date(node: Any, types: Types = field_type) -> bool:
    """Whether an expression's values are dates where the query alone says it (a date field, TO_DATETIME,
    DATE_TRUNC, a date plus or minus a span)."""
    if isinstance(node, Col):
        return types(node.name) in ("date", "date_nanos")
    if isinstance(node, Call):
        return node.name in _DATE_FUNCTIONS or (node.name == "BUCKET" and len(node.args) == 2
                                                and isinstance(node.args[1], Lit)
                                                and isinstance(node.args[1].value, (Duration, Period)))
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        spans = [isinstance(n, Lit) and isinstance(n.value, (Duration, Period)) for n in (node.left, node.right)]
        return (spans[1] and _is_date(node.left, types)) or (spans[0] and node.op == "+" and _is_date(node.right, types))
    return False


def _date_text(value: Any) -> str:
    millis = to_millis(value)
    if millis is None:
        raise ValueError("not a date")
    return date_text(millis)


def _values_of(node: Call) -> list:
    """The arguments a CASE or COALESCE can answer with."""
    if node.name == "COALESCE":
        return list(node.args)
    return list(node.args[1::2]) + ([node.args[-1]] if len(node.args) % 2 else [])


_NARROWER = {"double": ("integer", "long"), "long": ("integer",)}


def _widens(node: Call, types: Types = field_type) -> bool:
    """Whether a CASE or COALESCE mixes whole numbers and doubles among its values."""
    kinds = {_numeric_kind(v, types) for v in _values_of(node)}
    return {"double", "whole"} <= kinds


def _as_double(expr: Expr) -> Expr:
    def double(value: Any) -> Any:
        return float(value) if value.__class__ is int else value

    def widened(row: Row) -> Any:
        value = expr(row)
        return [double(v) for v in value] if value.__class__ is list else double(value)

    return widened


def _reduced(arg: Expr, reduce: Callable[[list], Any]) -> Expr:
    return lambda row: v if (v := arg(row)).__class__ is not list else reduce(v)


def _contains_all(superset: list, subset: list) -> bool:
    try:
        return set(subset) <= set(superset)
    except TypeError:  # objects as values (untyped local data): compared one by one
        return all(item in superset for item in subset)


def _listed(value: Any) -> list:
    """A value as the list of its values (null: none)."""
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]
