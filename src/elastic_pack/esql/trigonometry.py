"""ES|QL's trigonometric, hyperbolic and other double-valued math functions, answered as java.lang.Math answers
(checked on Elasticsearch 8.19): outside a function's domain (ASIN(2)) the answer is null, with a warning in
Elasticsearch; past a double's range SINH and COSH answer null, EXP an infinity (EXP(1000) is Infinity)."""

from __future__ import annotations

import math
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


MATH: dict[str, Callable[..., Any]] = {
    "LOG": _log,
    "SIN": _java(math.sin), "COS": _java(math.cos), "TAN": _java(math.tan),
    "ASIN": _java(math.asin), "ACOS": _java(math.acos), "ATAN": _java(math.atan), "ATAN2": _java(math.atan2),
    "SINH": _java(math.sinh), "COSH": _java(math.cosh),  # past a double's range: null
    "TANH": _java(math.tanh), "EXP": _java(math.exp, math.inf), "HYPOT": _java(math.hypot),
    "TO_DEGREES": _java(math.degrees), "TO_RADIANS": _java(math.radians),
}
