"""STATS' aggregate functions over a column's values (each value of a multi-valued one counts)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import UnsupportedQueryError
from .ast import Stats
from .functions import in_long

Row = dict


def group_keys(parts: list) -> list[tuple]:
    keys: list[tuple] = [()]
    for part in parts:
        options = list(dict.fromkeys(part)) if isinstance(part, list) else [part]
        keys = [key + (option,) for key in keys for option in options]
    return keys


def aggregate_rows(stats: Stats, compacts: Any) -> list[Row]:
    """STATS over (group key, aggregated values) pairs: one row per group; multi-valued input counts each value."""
    groups: dict[tuple, list[list]] = {}
    for key, values in compacts:
        bucket = groups.setdefault(key, [[] for _ in stats.aggregates])
        for column, value in zip(bucket, values):
            if isinstance(value, list):
                column.extend(value)
            else:
                column.append(value)
    if not groups and not stats.by:  # without BY, STATS answers one row even for no input (COUNT 0, others null)
        groups[()] = [[] for _ in stats.aggregates]
    rows = []
    for key, columns in groups.items():
        row = {}  # aggregates first, BY columns last
        for (name, func, arg), column in zip(stats.aggregates, columns):
            present = [v for v in column if v is not None]
            row[name] = aggregate_values(func, column if arg is None else present)
        row.update((name, value) for (name, _), value in zip(stats.by, key))
        rows.append(row)
    return rows


def _numbers(values: list) -> list:
    """SUM and AVG take numeric columns; a value of another type (untyped local data) is left out."""
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


class IpText(str):
    """An ip value of an ip-typed column: text as it is, ordered as Elasticsearch orders ips (by their bytes)."""

    __slots__ = ("key",)
    key: int


def ip_text(value: str, key: int) -> IpText:
    text = IpText(value)
    text.key = key
    return text


class VersionText(str):
    """A value of a version-typed column: text as it is, ordered as Elasticsearch orders versions."""

    __slots__ = ("key",)
    key: tuple


def version_text(value: str) -> VersionText:
    from ..version_order import version_key

    text = VersionText(value)
    text.key = version_key(value)
    return text


def order_key(value: Any) -> tuple:
    """MIN, MAX, SORT: values of one column are of one type in Elasticsearch; locally, numbers before text."""
    if value.__class__ is IpText or value.__class__ is VersionText:
        return (1, value.key, "")
    return (0, value, "") if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, 0, str(value))


def top(values: list, func: str) -> Any:
    """TOP(field, n, order): the n largest or smallest values, repeats included."""
    _, limit, order = func.split(":")
    chosen = sorted(values, key=order_key, reverse=order == "desc")[: int(limit)]
    return None if not chosen else chosen[0] if len(chosen) == 1 else chosen


def values_of(distinct: Any) -> Any:
    """VALUES: null for none, the value itself for one (a single value, as every one-valued field is), else
    the values (in a stable order; Elasticsearch promises none)."""
    if not distinct:
        return None
    ordered = sorted(distinct, key=str)
    return ordered[0] if len(ordered) == 1 else ordered


def percentile(values: list, func: str) -> Any:
    """PERCENTILE(field, p) and MEDIAN: between the two nearest values, linearly (t-digest's answer while it
    holds every value); a double; null for no value or p outside 0..100."""
    wanted = float(func.split(":", 1)[1]) if ":" in func else 50.0
    numbers = sorted(_numbers(values))
    if not numbers or not 0 <= wanted <= 100:
        return None
    return _quantile(numbers, wanted / 100)


def _quantile(ordered: list, q: float) -> float:
    """Elasticsearch's t-digest (Dist.quantile) on sorted values: low + weight * (high - low)."""
    index = q * (len(ordered) - 1)
    low = math.floor(index)
    if index <= 0 or index >= len(ordered) - 1:
        return float(ordered[0] if index <= 0 else ordered[-1])
    low_value, high_value = float(ordered[low]), float(ordered[low + 1])
    return low_value + (index - low) * (high_value - low_value)


def _median_absolute_deviation(values: list) -> Any:
    numbers = sorted(_numbers(values))
    if not numbers:
        return None
    median = _quantile(numbers, 0.5)
    return _quantile(sorted(abs(v - median) for v in numbers), 0.5)


def _variance(values: list) -> Any:
    """Population variance, by Welford's algorithm as Elasticsearch computes it."""
    count, mean, m2 = 0, 0.0, 0.0
    for value in _numbers(values):
        count += 1
        delta = value - mean
        mean += delta / count
        m2 += delta * (value - mean)
    return m2 / count if count else None


def _weighted_avg(pairs: list) -> Any:
    """WEIGHTED_AVG(number, weight) over (number, weight) pairs; null when the weights sum to 0."""
    kept = [(v, w) for v, w in pairs if _numbers([v, w]) == [v, w]]
    total = sum(w for _, w in kept)
    return sum(v * w for v, w in kept) / total if kept and total else None


def count_distinct(count: int, func: str) -> int:
    """COUNT_DISTINCT's answer: exact up to the precision threshold (3000 unless given), where Elasticsearch's
    HyperLogLog++ counts exactly; past it Elasticsearch estimates (COUNT_DISTINCT(salary, 0) is 92 of 100 on the
    8.19 node), so the engine refuses rather than answer another number."""
    threshold = int(func.split(":", 1)[1]) if ":" in func else 3000
    if count > threshold:
        raise UnsupportedQueryError(f"COUNT_DISTINCT over {count} distinct values, past its precision threshold "
                                    f"{threshold}: Elasticsearch estimates there (HyperLogLog++), the engine counts")
    return count


def aggregate_values(func: str, values: list) -> Any:
    if func.startswith("COUNT_DISTINCT"):
        return count_distinct(len(set(values)), func)
    if func.startswith("TOP:"):
        return plain(top(values, func))
    if func.startswith("PERCENTILE:") or func == "MEDIAN":
        return percentile(values, func)
    return plain(_AGGREGATES[func](values))


def plain(value: Any) -> Any:
    """An aggregate's answer as plain text: the ordering wrappers (IpText, VersionText) only rank values inside
    MIN/MAX/TOP/VALUES; the commands after STATS compare and convert the column by its type, as any other."""
    if value.__class__ is IpText or value.__class__ is VersionText:
        return str(value)
    if value.__class__ is list:
        return [str(v) if v.__class__ is IpText or v.__class__ is VersionText else v for v in value]
    return value


_AGGREGATES = {
    "COUNT": len,
    "SUM": lambda vs: in_long(sum(ns)) if (ns := _numbers(vs)) else None,
    "MIN": lambda vs: min(vs, key=order_key) if vs else None,
    "MAX": lambda vs: max(vs, key=order_key) if vs else None,
    "AVG": lambda vs: sum(ns) / len(ns) if (ns := _numbers(vs)) else None,
    "COUNT_DISTINCT": lambda vs: len(set(vs)),
    "VALUES": lambda vs: values_of(set(vs)),
    "FIRST": lambda vs: min(vs, key=lambda pair: order_key(pair[1]))[0] if vs else None,
    "LAST": lambda vs: max(vs, key=lambda pair: order_key(pair[1]))[0] if vs else None,
    "MEDIAN_ABSOLUTE_DEVIATION": _median_absolute_deviation,
    "VARIANCE": _variance,
    "STD_DEV": lambda vs: None if (variance := _variance(vs)) is None else math.sqrt(variance),
    "WEIGHTED_AVG": _weighted_avg,
}
