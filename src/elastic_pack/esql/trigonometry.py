"""ES|QL's trigonometric, hyperbolic and other double-valued math functions, answered as java.lang.Math answers
(checked on Elasticsearch 8.19): outside a function's domain (ASIN(2)) the answer is null, with a warning in
Elasticsearch; past a double's range SINH and COSH answer null, EXP an infinity (EXP(1000) is Infinity)."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any


def _java(function: Callable[..., float], overflow: float | None = None) -> Callable[..., float | None]:
    """`function` over doubles: null outside its domain (NaN in Java); past a double's range, `overflow`."""
    def call(*args: Any) -> float | None:
        if any(isinstance(a, bool) for a in args):
            raise TypeError("not a number")
        values = [float(a) for a in args]
        try:
            result = function(*values)
        except OverflowError:
            return overflow
        except ValueError:
            return None
        return None if math.isnan(result) else result

    return call


_ONE = object()  # LOG(value): no base


def _log(first: Any, second: Any = _ONE) -> float | None:
    """LOG(value) is the natural logarithm, LOG(base, value) log10(value) / log10(base), as Elasticsearch
    computes it (LOG(10, 1000000000000) is 12.0): null for a value or base not above 0, and for base 1."""
    base, value = (None, first) if second is _ONE else (first, second)
    if any(isinstance(v, bool) for v in (base, value)):
        raise TypeError("not a number")
    if value <= 0 or (base is not None and (base <= 0 or base == 1)):
        return None
    return math.log(value) if base is None else math.log10(value) / math.log10(base)


def _words(x: float) -> tuple[int, int]:
    bits = struct.unpack("<Q", struct.pack("<d", x))[0]
    return bits >> 32, bits & 0xFFFFFFFF


def _double(high: int, low: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", ((high & 0xFFFFFFFF) << 32) | (low & 0xFFFFFFFF)))[0]


def _cbrt(x: float) -> float:
    """Java's Math.cbrt: fdlibm's s_cbrt.c, which StrictMath ports (CBRT(27) is exactly 3.0, as on the 8.19
    node; the C library's cbrt answers 3.0000000000000004)."""
    high, low = _words(x)
    sign = high & 0x80000000
    high ^= sign
    if high >= 0x7FF00000:
        return x + x
    if (high | low) == 0:
        return x
    x = _double(high, low)  # |x|
    if high < 0x00100000:  # subnormal
        t = _double(0x43500000, 0) * x
        t = _double(_words(t)[0] // 3 + 696219795, _words(t)[1])
    else:
        t = _double(high // 3 + 715094163, 0)
    r = t * t / x
    s = 5.42857142857142815906e-01 + r * t
    t *= 3.57142857142857150787e-01 + 1.60714285714285720630e+00 / (
        s + 1.41428571428571436819e+00 + -7.05306122448979611050e-01 / s)
    t = _double(_words(t)[0] + 1, 0)
    s = t * t
    r = x / s
    w = t + t
    r = (r - t) / (w + r)
    t = t + t * r
    return _double(_words(t)[0] | sign, _words(t)[1])


MATH: dict[str, Callable[..., Any]] = {
    "CBRT": _java(_cbrt),
    "LOG": _log,
    "SIN": _java(math.sin), "COS": _java(math.cos), "TAN": _java(math.tan),
    "ASIN": _java(math.asin), "ACOS": _java(math.acos), "ATAN": _java(math.atan), "ATAN2": _java(math.atan2),
    "SINH": _java(math.sinh), "COSH": _java(math.cosh),  # past a double's range: null
    "TANH": _java(math.tanh), "EXP": _java(math.exp, math.inf), "HYPOT": _java(math.hypot),
    "TO_DEGREES": _java(math.degrees), "TO_RADIANS": _java(math.radians),
}
