"""Elasticsearch's EQL functions on values, with its null rules: a null argument gives null.

Each function takes already evaluated arguments (a field's value may be a list: value functions use its
first value, as a script sees a multi-valued field; predicates such as cidrMatch hold when any value does).
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from .exceptions import EqlTypeError, UnsupportedEql


def first(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            if item is not None:
                return item
        return None
    return value


def to_string(value: Any) -> str | None:
    value = first(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fold(text: str, insensitive: bool) -> str:
    return text.casefold() if insensitive else text


def between(source: Any, left: Any, right: Any, greedy: Any = False, insensitive: Any = False) -> Any:
    source, left, right = to_string(source), to_string(left), to_string(right)
    if source is None or left is None or right is None:
        return None
    haystack = _fold(source, insensitive)
    start = haystack.find(_fold(left, insensitive))
    if start < 0:
        return ""
    start += len(left)
    needle = _fold(right, insensitive)
    end = haystack.rfind(needle) if greedy else haystack.find(needle, start)
    if end < start:
        return ""
    return source[start:end]


def cidr_match(ip: Any, *blocks: Any) -> bool | None:
    values = [v for v in (ip if isinstance(ip, list) else [ip]) if v is not None]
    if not values:
        return None
    networks = []
    for block in blocks:
        try:
            networks.append(ipaddress.ip_network(str(block), strict=False))
        except ValueError:
            continue
    for value in values:
        try:
            address = ipaddress.ip_address(str(value))
        except ValueError:
            continue
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address.version == n.version and address in n for n in networks):
            return True
    return False


def concat(*values: Any) -> Any:
    texts: list[Any] = [to_string(v) for v in values]
    if any(t is None for t in texts):
        return None
    return "".join(texts)


def index_of(source: Any, substring: Any, start: Any = None, insensitive: Any = False) -> Any:
    source, substring = to_string(source), to_string(substring)
    if source is None or substring is None:
        return None
    begin = first(start)
    begin = 0 if begin is None else max(int(begin), 0)
    found = _fold(source, insensitive).find(_fold(substring, insensitive), begin)
    return None if found < 0 else found


def length(source: Any) -> Any:
    source = to_string(source)
    return None if source is None else len(source)


def number(source: Any, base: Any = None) -> Any:
    text = to_string(source)
    if text is None:
        return None
    radix = first(base)
    text = text.strip()
    try:
        if radix is None or int(radix) == 10:
            value = float(text)
            return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
        radix = int(radix)
        if radix == 16 and text.lower().startswith(("0x", "-0x")):
            text = text.replace("0x", "", 1).replace("0X", "", 1)
        return int(text, radix)
    except ValueError:
        return None


def string(value: Any) -> Any:
    return to_string(value)


def substring(source: Any, start: Any, end: Any = None) -> Any:
    source = to_string(source)
    begin, stop = first(start), first(end)
    if source is None or begin is None:
        return None
    return source[int(begin):] if stop is None else source[int(begin):int(stop)]


def _numbers(a: Any, b: Any) -> Any:
    a, b = first(a), first(b)
    if a is None or b is None or isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return None
    return a, b


def add(a: Any, b: Any) -> Any:
    pair = _numbers(a, b)
    return None if pair is None else pair[0] + pair[1]


def subtract(a: Any, b: Any) -> Any:
    pair = _numbers(a, b)
    return None if pair is None else pair[0] - pair[1]


def multiply(a: Any, b: Any) -> Any:
    pair = _numbers(a, b)
    return None if pair is None else pair[0] * pair[1]


def divide(a: Any, b: Any) -> Any:
    pair = _divisible(a, b)
    if pair is None:
        return None
    x, y = pair
    return _truncated(x, y) if isinstance(x, int) and isinstance(y, int) else x / y


def modulo(a: Any, b: Any) -> Any:
    pair = _divisible(a, b)
    if pair is None:
        return None
    x, y = pair
    # Java's %: the sign of the dividend
    return x - y * _truncated(x, y) if isinstance(x, int) and isinstance(y, int) else math.fmod(x, y)


def _divisible(a: Any, b: Any) -> tuple[Any, Any] | None:
    """The two numbers of a division, or None (null) when either is not a number. A zero divisor is no null
    in Elasticsearch (its Arithmetics divides with Java's operators): Java's long / and % throw, and the
    search fails; a decimal gives Infinity or NaN, which the engine does not compare as Elasticsearch does."""
    pair = _numbers(a, b)
    if pair is not None and pair[1] == 0:
        x, y = pair
        if isinstance(x, int) and isinstance(y, int):
            raise EqlTypeError(f"{x} divided by 0 (Java's integer / and % throw \"/ by zero\": Elasticsearch fails "
                               "the search)")
        raise UnsupportedEql(f"{x} divided by {y} (Java gives Infinity or NaN there, which the local engine does "
                             "not compare as Elasticsearch does)")
    return pair


def _truncated(x: int, y: int) -> int:
    """Java's integer division: the exact quotient rounded towards zero (whatever the size of the numbers)."""
    quotient = abs(x) // abs(y)
    return quotient if (x < 0) == (y < 0) else -quotient


VALUE_FUNCTIONS = {
    "add": add, "subtract": subtract, "multiply": multiply, "divide": divide, "modulo": modulo,
    "concat": concat, "length": length, "number": number, "string": string, "substring": substring,
}
MATH_OPERATORS = {"+": add, "-": subtract, "*": multiply, "/": divide, "%": modulo}
