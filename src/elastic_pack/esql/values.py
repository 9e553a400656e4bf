"""Values as ES|QL gives them: a field's values as its doc values hold them (typed, dates in one form, float and
half_float as narrow as the type), and each column's values in the `_query` response's form for its type."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .columns import esql_type

# the epoch milliseconds of 0001-01-01 and of 10000-01-01, the range Python's datetime holds
_PYTHON_DATES = (-62135596800000, 253402300800000)


def date_text(millis: int) -> str:
    """Epoch milliseconds as Elasticsearch writes a date (2025-01-01T00:00:00.000Z), in whole numbers: a float
    of seconds would turn 9999-12-31T23:59:59.999Z into .998Z."""
    from datetime import datetime, timezone

    moment = datetime.fromtimestamp(millis // 1000, timezone.utc)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
            f"{moment.second:02d}.{millis % 1000:03d}Z")


def value_type(values: list) -> str:
    """A column's type from its values, where the query does not say (as dynamic mapping would type them)."""
    from ..kql.typed import infer_type

    for value in values:
        while isinstance(value, list) and value:
            value = value[0]
        if value is None or value == []:
            continue
        kind = infer_type(value)  # as KQL types an unmapped value; an object's column is keyword here
        return "keyword" if kind == "object" else kind
    return "null"


def formatter(kind: str) -> Callable[[Any], Any]:
    from .functions import to_millis

    def date(value: Any) -> Any:
        millis = to_millis(value)
        if millis is not None and not _PYTHON_DATES[0] <= millis < _PYTHON_DATES[1]:
            from ..errors import UnsupportedQueryError  # Elasticsearch writes it (+292278994-...); Python cannot
            raise UnsupportedQueryError(f"the local engine does not write the date {millis} ms since the epoch "
                                        "(outside the years 1 to 9999)")
        return None if millis is None else date_text(millis)

    def whole(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return int(value)
        try:
            return int(str(value))
        except ValueError:
            try:
                return int(float(str(value)))
            except ValueError:
                return None

    def double(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if number in (math.inf, -math.inf):  # EXP(1000): Elasticsearch writes the infinity as text
            return "Infinity" if number > 0 else "-Infinity"
        return number

    def text(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def ip(value: Any) -> Any:
        import ipaddress

        try:
            address = ipaddress.ip_address(str(value))
        except ValueError:
            return str(value)
        mapped = getattr(address, "ipv4_mapped", None)
        return str(mapped or address)

    def boolean(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        return {"true": True, "false": False}.get(str(value).lower())

    one = {"date": date, "date_nanos": date, "integer": whole, "long": whole, "unsigned_long": whole,
           "double": double, "keyword": text, "text": text, "ip": ip, "version": text, "boolean": boolean,
           "unsupported": lambda value: None, "null": lambda value: None}.get(kind, lambda value: value)

    def format_value(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            values = [v for v in (one(v) for v in value if v is not None) if v is not None]
            return values[0] if len(values) == 1 else (values or None)
        return one(value)

    return format_value


def doc_value_of(kind: str | None) -> Callable[[Any], Any] | None:
    """How a field of this mapping type holds a value in its doc values, as ES|QL reads it (None: as written)."""
    if kind is None:
        return None
    if kind in ("float", "half_float"):
        width = "f" if kind == "float" else "e"
        double = formatter("double")
        return lambda value: _narrow(double(value), width)
    if kind in ("date", "date_nanos"):
        date = formatter("date")
        return lambda value: value if value.__class__ is str and len(value) == 24 and value[-1] == "Z" \
            else date(value)
    esql_kind = esql_type(kind)
    if esql_kind in ("keyword", "text", "long", "integer", "double", "boolean", "ip"):
        return formatter(esql_kind)
    return None


def _narrow(value: Any, width: str) -> Any:
    """A number as a float or half_float field stores it, widened back to a double as ES|QL gives it."""
    import struct

    if isinstance(value, list):
        return [_narrow(v, width) for v in value]
    if not isinstance(value, float):
        return value
    try:
        return struct.unpack(width, struct.pack(width, value))[0]
    except (OverflowError, struct.error):
        return value
