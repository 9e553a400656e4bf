"""Whole-number arithmetic as Elasticsearch's ES|QL does it by type, where a double's answer would differ:
ROUND of integers, longs and unsigned longs (exact, half away from zero), unsigned_long arithmetic (0 to 2^64 - 1,
null past it), MV_SUM of unsigned longs, and ROUND_TO (the greatest point at or below a value)."""

from __future__ import annotations

from typing import Any

from ..errors import QueryError

_UNSIGNED_MAX = 2**64 - 1
_LONG = (-2**63, 2**63 - 1)


def round_whole(value: int, digits: int, kind: str) -> int | None:
    """ROUND(v, digits) of an integer, long or unsigned long: unchanged for digits >= 0, else rounded half away
    from zero to 10^-digits, exactly (Elasticsearch's Maths.round(long, long)). An integer's result is cast back
    to 32 bits as Java casts (ROUND(2147483647, -1) is -2147483646 on the 8.19 node); an unsigned long past
    2^64 - 1 is null (Elasticsearch warns: unsigned_long overflow); a long past its range fails the query (the
    node answers 500 `long overflow`)."""
    if digits >= 0:
        return value
    if -digits > 20:  # 10^21 is past every whole value: the nearest multiple is 0
        return 0
    step = 10 ** -digits
    quotient, remainder = divmod(abs(value), step)
    if remainder * 2 >= step:
        quotient += 1
    result = quotient * step * (-1 if value < 0 else 1)
    if kind == "unsigned_long":
        return result if result <= _UNSIGNED_MAX else None
    if kind == "integer":
        return (result + 2**31) % 2**32 - 2**31
    if not _LONG[0] <= result <= _LONG[1]:
        raise QueryError(f"ROUND({value}, {digits}): long overflow (Elasticsearch fails the query)")
    return result


def unsigned_arith(op: str, a: int, b: int) -> int | None:
    """+ - * / % of two unsigned longs: null outside 0..2^64 - 1 and for a division by zero, as Elasticsearch
    (warning `unsigned_long overflow` / `/ by zero`)."""
    if op in ("/", "%"):
        if not b:
            return None
        return a // b if op == "/" else a % b
    result = a + b if op == "+" else a - b if op == "-" else a * b
    return result if 0 <= result <= _UNSIGNED_MAX else None


def unsigned_sum(values: list) -> int | None:
    """MV_SUM of unsigned longs: null past 2^64 - 1."""
    total = sum(values)
    return total if 0 <= total <= _UNSIGNED_MAX else None


def round_to(value: Any, *points: Any) -> Any:
    """ROUND_TO(v, p1, p2, ...): the greatest point at or below v, the smallest point when v is below them all
    (Elasticsearch's RoundTo; the points in any order)."""
    below = [p for p in points if p <= value]
    return max(below) if below else min(points)
