"""STATS over a sliding window, kept up to date as rows enter and leave instead of recomputed per run."""

from __future__ import annotations

from collections import Counter

from .aggregates import aggregate_values, count_distinct, order_key, plain, top, values_of
from .functions import in_long

_INVERTIBLE = {"COUNT", "SUM", "AVG", "COUNT_DISTINCT"}
# computed from every value the window holds (a Counter of them)
_FROM_VALUES = {"MEDIAN", "MEDIAN_ABSOLUTE_DEVIATION", "VARIANCE", "STD_DEV", "WEIGHTED_AVG"}


class SlidingStats:
    """Per group: row count, and per aggregate a running state. MIN, MAX and VALUES keep a Counter of
    values (so removal is exact); COUNT and SUM keep totals."""

    def __init__(self, aggregates: tuple) -> None:
        self.functions = [func for _, func, _ in aggregates]
        self.star = [arg is None for _, _, arg in aggregates]
        # per aggregate: (counts null rows (COUNT(*)), numbers only (SUM, AVG), keeps a Counter, adds values)
        self.plan = [(star, func in ("SUM", "AVG"), func not in ("COUNT", "SUM", "AVG"), func != "COUNT")
                     for func, star in zip(self.functions, self.star)]
        self.groups: dict[tuple, list] = {}
        self.dirty: set[tuple] = set()  # groups whose rows changed since results() last saw them

    def _state(self) -> list:
        return [0, [Counter() if f not in ("COUNT", "SUM", "AVG") else [0, 0] for f in self.functions]]

    def add(self, key: tuple, values: tuple) -> None:
        self.dirty.add(key)
        state = self.groups.get(key)
        if state is None:
            state = self.groups[key] = self._state()
        state[0] += 1
        for slot, (star, numeric, counter, adds), value in zip(state[1], self.plan, values):
            for item in value if isinstance(value, list) else (value,):  # each value of a multi-valued one
                if (item is None and not star) or (numeric and not _numeric(item)):
                    continue
                if counter:
                    slot[item] += 1
                else:
                    slot[0] += 1
                    if adds:
                        slot[1] += item

    def remove(self, key: tuple, values: tuple) -> None:
        self.dirty.add(key)
        state = self.groups[key]
        state[0] -= 1
        if state[0] == 0:
            del self.groups[key]
            return
        for slot, (star, numeric, counter, adds), value in zip(state[1], self.plan, values):
            for item in value if isinstance(value, list) else (value,):
                if (item is None and not star) or (numeric and not _numeric(item)):
                    continue
                if counter:
                    left = slot[item] - 1
                    if left:
                        slot[item] = left
                    else:
                        del slot[item]
                else:
                    slot[0] -= 1
                    if adds:
                        slot[1] -= item

    def row(self, key: tuple, by_names, aggregate_names) -> dict | None:
        """The group's result row; None for a group without rows, except the one group of a STATS without
        BY, which answers for no rows too (COUNT 0, the others null)."""
        state = self.groups.get(key)
        if state is None:
            if key or by_names:
                return None
            state = self._state()
        row = {name: plain(_finish(func, slot))
               for name, func, slot in zip(aggregate_names, self.functions, state[1])}
        row.update(zip(by_names, key))  # aggregates first, BY columns last
        return row

    def take_dirty(self) -> set[tuple]:
        dirty, self.dirty = self.dirty, set()
        return dirty


def _numeric(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finish(func: str, slot):
    if func == "COUNT":
        return slot[0]
    if func == "SUM":
        return in_long(slot[1]) if slot[0] else None  # a long sum out of range: null
    if func == "AVG":
        return slot[1] / slot[0] if slot[0] else None
    if func.startswith("COUNT_DISTINCT"):
        return count_distinct(len(slot), func)
    if func.startswith("TOP:"):
        return top(list(slot.elements()), func)
    if func.startswith("PERCENTILE:") or func in _FROM_VALUES:
        return aggregate_values(func, list(slot.elements()))
    if func in ("FIRST", "LAST"):  # (value, sort) pairs: the value of the earliest / latest sort
        if not slot:
            return None
        pick = min if func == "FIRST" else max
        return pick(slot, key=lambda pair: order_key(pair[1]))[0]
    if func == "MIN":
        return min(slot, key=order_key) if slot else None
    if func == "MAX":
        return max(slot, key=order_key) if slot else None
    return values_of(slot)  # VALUES
