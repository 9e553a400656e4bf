"""Values that order by their type, not as text: ips (by their bytes, IPv4 as IPv4-mapped IPv6) and versions
(Elasticsearch's version order); which expressions hold them, and MV_SORT/MV_MIN/MV_MAX over them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ..fields import field_type
from ..version_order import version_key
from .ast import Call, Col

Types = Callable[[str], "str | None"]  # a column's name -> its type (as expressions.Types)


def ip_key(value: Any) -> int | None:
    """An ip as Elasticsearch orders ip values (IPv4 as IPv4-mapped IPv6, by bytes), or None for text that is
    not an ip; `::1` and `0:0::1` are one value."""
    if value.__class__ is not str:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return (0xFFFF << 32) | int(address) if address.version == 4 else int(address)


def _ordered_kind(node: Any, types: Types = field_type) -> str | None:
    """"ip" or "version" for an expression whose values order as ips or versions (not as text): a column of
    that type, TO_IP() or TO_VERSION(), or a function answering with its first argument's values (MV_SORT,
    COALESCE, ...) or a CASE's first value, of those; else None."""
    if isinstance(node, Col):
        kind = types(node.name)
        return kind if kind in ("ip", "version") else None
    if not isinstance(node, Call) or not node.args:
        return None
    if node.name in ("TO_IP", "TO_VERSION"):
        return "ip" if node.name == "TO_IP" else "version"
    if node.name == "CASE":
        return _ordered_kind(node.args[1], types) if len(node.args) > 1 else None
    return _ordered_kind(node.args[0], types) if node.name in _KEEPS_TYPE else None


def _ip_typed(node: Any, types: Types = field_type) -> bool:
    """An expression whose values are ips (see _ordered_kind)."""
    return _ordered_kind(node, types) == "ip"


_KEEPS_TYPE = {"MV_SORT", "MV_SLICE", "MV_DEDUPE", "MV_FIRST", "MV_LAST", "MV_MIN", "MV_MAX", "MV_APPEND",
               "COALESCE", "GREATEST", "LEAST", "VALUES", "MIN", "MAX", "TOP", "FIRST", "LAST"}


_IP_ORDERED: dict[str, Callable[..., Any]] = {
    "MV_SORT": lambda v, order="ASC": sorted(v, key=_ip_order, reverse=str(order).upper() == "DESC"),
    "MV_MIN": lambda v: min(v, key=_ip_order), "MV_MAX": lambda v: max(v, key=_ip_order)}


def _version_order(value: Any) -> tuple:
    return version_key(value) if value.__class__ is str else (2, b"")


_VERSION_ORDERED: dict[str, Callable[..., Any]] = {
    "MV_SORT": lambda v, order="ASC": sorted(v, key=_version_order, reverse=str(order).upper() == "DESC"),
    "MV_MIN": lambda v: min(v, key=_version_order), "MV_MAX": lambda v: max(v, key=_version_order)}


def _ip_order(value: Any) -> tuple:
    key = ip_key(value)
    return (-1, str(value)) if key is None else (key, "")
