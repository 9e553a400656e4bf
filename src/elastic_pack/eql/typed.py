"""Comparisons typed by the mapping: a date, ip or version field against a constant compares as Elasticsearch's
term or range query on that field type does, not as the JSON values would."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from . import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast

from ..kql import datemath
from ..version_order import is_valid_version, version_key
from .exceptions import EqlTypeError, UnsupportedEql
from .parser import field_name

Event = Mapping[str, Any]
Expr = Callable[[Event], Any]


def values(value: Any) -> list:
    """A field's values; an object (or an object in an array) is no value of the field itself."""
    if value is None or value.__class__ is dict:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None and v.__class__ is not dict]
    return [value]


def typed_comparison(node: Any, types: Callable[[str], str | None]) -> Expr | None:
    """A date, ip or version field against a constant, as Elasticsearch's term or range query on the field
    compares them (None for other fields and comparisons: plain values compare)."""
    constant = (ast.String, ast.Number)
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
    if isinstance(node.left, ast.Field) and isinstance(node.right, constant):
        field, value, op = node.left, node.right.value, node.comparator
    elif isinstance(node.right, ast.Field) and isinstance(node.left, constant):
        field, value, op = node.right, node.left.value, flip[node.comparator]
    else:
        return None
    name = field_name(field)
    kind = types(name)
    if kind == "ip" and isinstance(value, str):
        return _ip_comparison(name, value, op)
    if kind == "version" and op not in ("==", "!="):
        return _version_range(name, value, op)
    if kind not in ("date", "date_nanos"):
        return None
    return _date_comparison(name, value, op)


def _date_comparison(name: str, value: Any, op: str) -> Expr:
    """Elasticsearch's term or range query on a date field parses the constant as a date (`==` covers what a
    partial date rounds to: "2017-08-30" is that whole day)."""
    if isinstance(value, str) and value.strip().startswith("now"):
        raise UnsupportedEql(f"`{name} {op} {value!r}`: date math relative to now (the local engine has no "
                             "one `now` for a whole backtest)")
    if isinstance(value, str) and " " in value.strip():
        raise EqlTypeError(f"`{name} {op} {value!r}`: Elasticsearch fails the query (a date field's format, "
                             "strict_date_optional_time||epoch_millis, has no space)")
    try:
        low = datemath.resolve(str(value), 0.0, op in (">",))
        high = datemath.resolve(str(value), 0.0, op in ("==", "<="))
    except datemath.DateError as exc:
        raise EqlTypeError(f"`{name} {op} {value!r}`: Elasticsearch fails the query ({exc})") from None
    test = {"==": lambda ms: low <= ms <= high, "<": lambda ms: ms < low, "<=": lambda ms: ms <= high,
            ">": lambda ms: ms > low, ">=": lambda ms: ms >= low}[op]

    def date_comparison(event: Event) -> Any:
        times = [ms for v in values(event.get(name)) if (ms := datemath.value_ms(v)) is not None]
        if not times:
            return None
        return any(test(ms) for ms in times)

    return date_comparison


def _version_range(name: str, value: Any, op: str) -> Any:
    """A range on a version field: Elasticsearch's version order (version_order), not the text's."""
    if not isinstance(value, str) or not is_valid_version(value):
        raise UnsupportedEql(f"`{name} {op} {value!r}`: a range on the version field {name} from a bound that is "
                             "no valid version (the local engine does not know where Elasticsearch puts it)")
    bound = version_key(value)
    test = {"<": lambda k: k < bound, "<=": lambda k: k <= bound, ">": lambda k: k > bound,
            ">=": lambda k: k >= bound}[op]

    def version_range(event: Event) -> Any:
        versions = [v for v in values(event.get(name)) if isinstance(v, str)]
        if not versions:
            return None
        return any(test(version_key(v)) for v in versions)

    return version_range

def _ip_comparison(name: str, value: str, op: str) -> Any:
    """An ip field against a string: Elasticsearch's term query on it takes any spelling of an address and
    a CIDR block (`source.ip == "10.0.0.0/8"` is the block); a range compares addresses."""
    try:
        block = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise EqlTypeError(f"`{name} {op} {value!r}`: Elasticsearch fails the query ({value!r} is not an IP "
                             "address or CIDR block)") from None
    if op != "==" and block.num_addresses != 1:
        raise UnsupportedEql(f"`{name} {op} {value!r}`: a range on an ip field takes an address, not a block")
    bound = block.network_address
    test = {"==": lambda a: a in block, "<": lambda a: _ip_key(a) < _ip_key(bound),
            "<=": lambda a: _ip_key(a) <= _ip_key(bound), ">": lambda a: _ip_key(a) > _ip_key(bound),
            ">=": lambda a: _ip_key(a) >= _ip_key(bound)}[op]

    def ip_comparison(event: Event) -> Any:
        addresses = [a for v in values(event.get(name)) if (a := _address(v)) is not None]
        if not addresses:
            return None
        return any(test(a) for a in addresses)

    return ip_comparison


def _address(value: Any) -> Any:
    try:
        address = ipaddress.ip_address(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # Elasticsearch stores an IPv4 address as its IPv4-mapped IPv6 form
    return address


def _ip_key(address: Any) -> int:
    """Elasticsearch's order of ip values: every address as IPv6, IPv4 ones IPv4-mapped."""
    if isinstance(address, ipaddress.IPv4Address):
        return int(ipaddress.IPv6Address(f"::ffff:{address}"))
    return int(address)
