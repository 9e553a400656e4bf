"""A field's value as a terms aggregation buckets it (threshold groups, new terms): by the field's mapped type,
so that values Elasticsearch indexes as one term are one group. `::ffff:10.0.0.1` and `10.0.0.1` are one ip;
`5`, `"5"` and `5.0` one long; `"true"` and `true` one boolean; an epoch and an ISO string of the same instant
one date; a number in a keyword field is its text. A value the type cannot read is kept as written (Elasticsearch
would have refused the document, or ignored the value with ignore_malformed)."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

from ..kql import datemath
from ..kql.typed import NUMBER_TYPES, as_boolean, as_keyword

Term = Callable[[Any], Any]
_INTEGERS = frozenset({"long", "integer", "short", "byte", "unsigned_long"})


def _keyword(value: Any) -> Any:
    if value.__class__ is str:
        return value
    text = as_keyword(value)
    return value if text is None else text


def _ip(value: Any) -> Any:
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return value
    mapped = getattr(address, "ipv4_mapped", None)  # Elasticsearch shows an IPv4-mapped address as IPv4
    return str(mapped or address)


def _number(integer: bool) -> Term:
    def term(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        if math.isnan(number) or math.isinf(number):
            return value
        return int(number) if integer else number  # a long field keeps the integer part (coerce)

    return term


def _boolean(value: Any) -> Any:
    found = as_boolean(value)
    return value if found is None else found


def _date(value: Any) -> Any:
    millis = datemath.value_ms(value)
    return value if millis is None else millis


def term_of(kind: str | None) -> Term:
    """How a field of this type turns a value into its term (keyword-like and unknown types: as text)."""
    if kind == "ip":
        return _ip
    if kind in NUMBER_TYPES:
        return _number(kind in _INTEGERS)
    if kind == "boolean":
        return _boolean
    if kind in ("date", "date_nanos"):
        return _date
    return _keyword


def _indexed_up_to(longest: int, convert: Term) -> Term:
    """A keyword field with ignore_above: a longer value is not indexed, so it is in no bucket (None)."""
    def term(value: Any) -> Any:
        text = convert(value)
        if isinstance(text, str) and (len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2) > longest:
            return None
        return text

    return term


def terms_of(fields: list[str], types: Callable[[str], "str | None"]) -> Callable[[tuple], tuple]:
    """The key of a group as its terms: one converter per field, by its type. A value the field does not
    index (longer than its ignore_above) is None: the caller leaves such keys out."""
    longest_of = getattr(types, "longest", None)
    converters = []
    for name in fields:
        convert = term_of(types(name))
        longest = longest_of(name) if longest_of is not None else None
        converters.append(convert if longest is None else _indexed_up_to(longest, convert))
    if len(converters) == 1:
        (only,) = converters
        return lambda key: (only(key[0]),)
    return lambda key: tuple(convert(value) for convert, value in zip(converters, key))


def as_written(fields: list[str], types: Callable[[str], "str | None"]) -> int | None:
    """When every field's term of a string is the string itself (keyword-like or unmapped), the length up to
    which that holds for certain (a string of at most this many characters is within every field's
    ignore_above, counted in UTF-16 units, at most two per character); None when a field converts (ip,
    number, date ...). An event whose values are single strings that short is its own group key, with no
    conversion (the usual CloudTrail identity, action or provider)."""
    longest_of = getattr(types, "longest", None)
    shortest = 1 << 62
    for name in fields:
        if term_of(types(name)) is not _keyword:
            return None
        longest = longest_of(name) if longest_of is not None else None
        if longest is not None:
            shortest = min(shortest, longest // 2)
    return shortest
