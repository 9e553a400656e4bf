"""Values and operators of ES|QL expressions: one value of a multi-valued one (null), dates compared and moved
as epoch milliseconds, string literals read as the compared value's type, arithmetic with Elasticsearch's nulls
(a division by zero, a long overflow) and date spans (Java's Period and Duration)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from .ast import Duration, Period
from .functions import in_long, plus_months, to_millis
from .lexer import UnsupportedEsql

Row = dict
Expr = Callable[[Row], Any]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _scalar(value: Any) -> Any:
    """A value as a single-value context reads it: a multi-valued one is null (Elasticsearch warns), a
    one-element array (`["process"]`, as ECS writes event.category) is its one value, an object no value."""
    if value.__class__ is list:
        value = all_values(value)
        return None if value.__class__ is list else value
    return None if value.__class__ is dict else value


def _flat(values: list) -> list:
    """An array's values as Elasticsearch indexes them: nested arrays flattened, nulls and objects left out."""
    out = []
    for v in values:
        if v.__class__ is list:
            out += _flat(v)
        elif v is not None and v.__class__ is not dict:
            out.append(v)
    return out


def all_values(value: Any) -> Any:
    """A column's value with all its values: a list when multi-valued, the value itself when it has one (a
    one-element array too), null for none; an object is no value."""
    if value.__class__ is dict:
        return None
    if value.__class__ is list:
        kept = _flat(value)
        return kept if len(kept) > 1 else (kept[0] if kept else None)
    return value


def _json_text(value: Any) -> Any:
    """JSON_EXTRACT's answer: text as it is, any other JSON value as its JSON text, a missing path null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _date_key(value: Any) -> Any:
    """A sort value for FIRST/LAST: dates as epoch milliseconds, anything else as it is."""
    if value.__class__ is str and _DATE.match(value):
        return to_millis(value)
    return value


def _date_aware(a: Any, b: Any) -> tuple[Any, Any]:
    """A date string against a number (NOW(), date arithmetic) compares as epoch milliseconds."""
    if a.__class__ is str and isinstance(b, (int, float)) and not isinstance(b, bool) and _DATE.match(a):
        return to_millis(a), b
    if b.__class__ is str and isinstance(a, (int, float)) and not isinstance(a, bool) and _DATE.match(b):
        return a, to_millis(b)
    if a.__class__ is str and b.__class__ is str and a != b and _DATE.match(a) and _DATE.match(b):
        # two dates written differently (`...Z`, `....000Z`, `+00:00`) are one instant
        ma, mb = to_millis(a), to_millis(b)
        if ma is not None and mb is not None:
            return ma, mb
    return a, b



def _against_text(side: Expr, text: str, compare: Callable[[Any, Any], Any], literal_first: bool) -> Expr:
    """A comparison against a string literal, which is read as the other side's type."""
    def against(row: Row) -> Any:
        value = _scalar(side(row))
        if value is None:
            return None
        value, literal = _against_literal(value, text)
        if literal is None:
            return None
        try:
            return compare(literal, value) if literal_first else compare(value, literal)
        except TypeError:
            return None

    return against

def _against_literal(value: Any, text: str) -> tuple[Any, Any]:
    """A string literal compared with a value takes the value's type, as ES|QL's implicit casting does: a
    boolean ("true"/"false" in any case, anything else is null), a date (epoch milliseconds; both sides
    when the value is a date string, as documents hold dates)."""
    if value.__class__ is bool:
        low = text.lower()
        return value, True if low == "true" else False if low == "false" else None
    if value.__class__ is str:
        if value != text and _DATE.match(text) and _DATE.match(value):
            a, b = to_millis(value), to_millis(text)
            if a is not None and b is not None:
                return a, b
        return value, text
    return _date_aware(value, text)


_DAY = 86_400_000
_LONG_RANGE = (-2**63, 2**63 - 1)


def _calendar(span: Any) -> tuple[int, int] | None:
    """A span as Java's Period holds it, (months, days); None for a time duration (hours and less)."""
    if isinstance(span, Period):
        return span.months, span.days
    if span.days and span.millis == span.days * _DAY:  # `2 weeks`, `1 day`: periods in Elasticsearch
        return 0, span.days
    return None


def _span_arith(op: str, a: Any, b: Any) -> Any:
    """Date arithmetic: spans added together (as Elasticsearch folds `4 years + 3 months + 1 day`), a span
    negated, or a date moved by a span (a period: months first, then days, as Java's Period adds)."""
    spans = [isinstance(v, (Period, Duration)) for v in (a, b)]
    if op == "*":  # only -x is parsed to a product with a span: the span negated
        span = a if spans[0] else b
        if (b if spans[0] else a) != -1:
            return None
        return Period(-span.months, -span.days) if isinstance(span, Period) else Duration(-span.millis, -span.days)
    if op not in ("+", "-"):
        return None
    sign = 1 if op == "+" else -1
    if all(spans):
        if isinstance(a, Duration) and isinstance(b, Duration):
            days = a.days + sign * b.days if a.days and b.days else 0
            return Duration(a.millis + sign * b.millis, days)
        left, right = _calendar(a), _calendar(b)
        if left is None or right is None:
            raise UnsupportedEsql("the local engine does not add a calendar period and a time duration together")
        return Period(left[0] + sign * right[0], left[1] + sign * right[1])
    if spans[0] and op == "-":
        return None  # a span minus a date: Elasticsearch refuses it
    span, date = (a, to_millis(b)) if spans[0] else (b, to_millis(a))
    if date is None:
        return None
    if isinstance(span, Period):
        moved = plus_months(date, sign * span.months)
        moved = None if moved is None else moved + sign * span.days * _DAY
    else:
        moved = date + sign * span.millis
    # past the long range Elasticsearch answers null (long overflow), as for a year past Java's
    return moved if moved is not None and _LONG_RANGE[0] <= moved <= _LONG_RANGE[1] else None


def _arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, (Period, Duration)) or isinstance(b, (Period, Duration)):
        return _span_arith(op, a, b)
    if op == "/":
        if not b:
            return None
        if isinstance(a, int) and isinstance(b, int):
            return in_long(-(-a // b) if (a < 0) != (b < 0) else a // b)  # integer division truncates
        quotient = a / b
        return quotient if math.isfinite(quotient) else None
    if op == "%":
        if not b:
            return None
        if isinstance(a, int) and isinstance(b, int):  # Java's %: the sign of the dividend, exact
            remainder = abs(a) % abs(b)
            return -remainder if a < 0 else remainder
        return math.fmod(a, b)
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    else:
        result = a * b
    if result.__class__ is float and not math.isfinite(result):
        return None  # a double that overflows: null (Elasticsearch warns)
    return in_long(result)


_INT = (-2**31, 2**31 - 1)
_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
