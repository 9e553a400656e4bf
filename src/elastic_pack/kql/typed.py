"""How Elasticsearch compares a query value with a document value, by the field's mapped type.

Each `*_test` turns a query value into a test of one document value; a query value the field's type cannot
take (`abc` on a long field, `10.0.0.0/33` on an ip field) raises KqlTypeError, as Elasticsearch fails the
search. `text` fields are analysed (lower-cased words, as the standard analyser splits them).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from typing import Any

from ..errors import QueryTypeError
from ..glob import STAR, Glob
from ..mapping import json_kind
from . import datemath

KEYWORD_TYPES = frozenset({"keyword", "constant_keyword", "wildcard", "flattened", "version"})
TEXT_TYPES = frozenset({"text", "match_only_text"})
INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long"})
FLOAT_TYPES = frozenset({"double", "float", "half_float", "scaled_float"})
NUMBER_TYPES = INTEGER_TYPES | FLOAT_TYPES
DATE_TYPES = frozenset({"date", "date_nanos"})

Test = Callable[[Any], bool]
_WORD = re.compile(r"\w+(?:[.'\u2019]\w+)*")


class KqlTypeError(QueryTypeError):
    """A query value that the field's type rejects: Elasticsearch would fail the search."""


def infer_type(value: Any) -> str:
    """The type Elasticsearch's dynamic mapping (as Elastic's templates set it) gives an unmapped value."""
    return json_kind(value) or "keyword"


def as_keyword(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def as_number(value: Any, integer: bool) -> float | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return float(math.trunc(number)) if integer else number


def as_ip(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return _v6(address)


def _v6(address: Any) -> Any:
    # Elasticsearch stores IPv4 as IPv4-mapped IPv6: 1.2.3.4 and ::ffff:1.2.3.4 are one address
    if address.version == 4:
        return ipaddress.IPv6Address(b"\x00" * 10 + b"\xff\xff" + address.packed)
    return address


def as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    if value == "":
        return False
    return None


# --- equality (KQL `field: value`, a match or match_phrase query)
def equality_test(kind: str, text: str, phrase: bool, field: str, now_ms: float) -> Test:
    if kind in KEYWORD_TYPES or kind == "object":
        return lambda v: as_keyword(v) == text
    if kind in TEXT_TYPES:
        return _text_test(text, phrase)
    if kind in NUMBER_TYPES:
        number = as_number(text, integer=False)
        if number is None:
            raise KqlTypeError(f"{field} is a {kind} field; {text!r} is not a number")
        integer = kind in INTEGER_TYPES
        if integer and number != math.trunc(number):
            return lambda v: False  # a long never equals 1.5
        return lambda v: as_number(v, integer) == number
    if kind == "ip":
        return _ip_test(text, field)
    if kind in DATE_TYPES:
        low, high = _date_bound(text, now_ms, False, field), _date_bound(text, now_ms, True, field)
        return lambda v: (ms := datemath.value_ms(v)) is not None and low <= ms <= high
    if kind == "boolean":
        wanted = as_boolean(text)
        if wanted is None:
            raise KqlTypeError(f"{field} is a boolean field; {text!r} is not true or false")
        return lambda v: as_boolean(v) == wanted
    raise KqlTypeError(f"{field} is a {kind} field, which KQL equality cannot be evaluated on locally")


def _text_test(text: str, phrase: bool) -> Test:
    wanted = tokens(text)
    if not wanted:
        return lambda v: False
    if not phrase:
        wanted_set = set(wanted)
        return lambda v: isinstance(v, str) and not wanted_set.isdisjoint(tokens(v))
    size = len(wanted)

    def phrase_test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        have = tokens(v)
        return any(have[i:i + size] == wanted for i in range(len(have) - size + 1))

    return phrase_test


def _ip_test(text: str, field: str) -> Test:
    try:
        if "/" in text:
            network = ipaddress.ip_network(text.strip(), strict=False)
            low, high = _v6(network.network_address), _v6(network.broadcast_address)
        else:
            low = high = _v6(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise KqlTypeError(f"{field} is an ip field; {text!r} is not an IP address or CIDR block") from None
    return lambda v: (ip := as_ip(v)) is not None and low <= ip <= high


def _date_bound(text: str, now_ms: float, round_up: bool, field: str) -> float:
    try:
        return datemath.resolve(text, now_ms, round_up)
    except datemath.DateError as exc:
        raise KqlTypeError(f"{field} is a date field; {exc}") from None


# --- wildcards (a query_string or wildcard query): whitespace separates terms, as query_string reads them
def wildcard_test(kind: str, parts: tuple[str, ...], field: str) -> Test:
    if kind in NUMBER_TYPES | DATE_TYPES | {"ip", "boolean"}:
        raise KqlTypeError(f"{field} is a {kind} field; Elasticsearch runs wildcard queries only on "
                           "keyword and text fields")
    terms = _split_terms(parts)
    text_field = kind in TEXT_TYPES
    regexes = [_term_glob(t, text_field) for t in terms]
    if text_field:
        return lambda v: isinstance(v, str) and any(r.fullmatch(tok) for tok in tokens(v) for r in regexes)
    return lambda v: (s := as_keyword(v)) is not None and any(r.fullmatch(s) for r in regexes)


def _split_terms(parts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """`foo bar*` is two query_string terms, `foo` and `bar*` (Kibana escapes everything but white space)."""
    joined = "\x00".join(parts)
    return [tuple(term.split("\x00")) for term in joined.split()]


def _term_glob(parts: tuple[str, ...], lower: bool) -> Glob:
    """Literal texts between stars (`?` is literal in KQL): a backtracking-free matcher."""
    pieces: list = []
    for index, part in enumerate(parts):
        if index:
            pieces.append(STAR)
        pieces.extend(part.lower() if lower else part)
    return Glob(pieces)


# --- ranges
def range_test(kind: str, op: str, text: str, field: str, now_ms: float) -> Test:
    compare = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
               ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op]
    if kind in NUMBER_TYPES:
        bound = as_number(text, integer=False)
        if bound is None:
            raise KqlTypeError(f"{field} is a {kind} field; {text!r} is not a number")
        integer = kind in INTEGER_TYPES
        return lambda v: (x := as_number(v, integer)) is not None and compare(x, bound)
    if kind in DATE_TYPES:
        ms_bound = _date_bound(text, now_ms, op in (">", "<="), field)
        return lambda v: (ms := datemath.value_ms(v)) is not None and compare(ms, ms_bound)
    if kind == "ip":
        ip_bound = as_ip(text)
        if ip_bound is None:
            raise KqlTypeError(f"{field} is an ip field; {text!r} is not an IP address")
        return lambda v: (ip := as_ip(v)) is not None and compare(ip, ip_bound)
    if kind in TEXT_TYPES:
        return lambda v: isinstance(v, str) and any(compare(t, text) for t in tokens(v))
    if kind == "boolean":
        wanted = as_boolean(text)
        if wanted is None:
            raise KqlTypeError(f"{field} is a boolean field; {text!r} is not true or false")
        return lambda v: (b := as_boolean(v)) is not None and compare(b, wanted)
    return lambda v: (s := as_keyword(v)) is not None and compare(s, text)
