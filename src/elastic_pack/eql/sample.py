"""EQL `sample`: events that share join key values, one per filter, in any order, as Elasticsearch finds them.

Elasticsearch (its SampleIterator) first collects the join keys every filter has events for (a composite
aggregation: keys in ascending order, a null key first; a multi-valued field gives one key per value; a null
or missing key field only joins when it is optional, `?field`), then, for each key in that order, asks each
filter for its first events with that key (as many as there are filters) and picks the first combination of
distinct events, one per filter. `size` bounds the samples. No timestamp is needed: documents are read in
the order given, as an index returns them. With max_samples_per_key N, a key gives up to N samples (the next
combinations of the backtracking, from each filter's first events, N - 1 more than there are filters).

Key values are compared and reported as the aggregation gives them: a date as epoch milliseconds, an ip as
its address, a boolean as true/false. A date key the engine cannot read (a mapping's custom date format) is
refused rather than joined differently.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ..documents import flatten
from ..kql import datemath
from .compile import Compiler, UnsupportedEql, compile_event_query
from .parser import EqlQuery, field_name
from .sequence import candidate_keys

Hit = tuple[str, dict]
Filter = tuple[Callable[[dict], bool], list[str]]


def run_samples(query: EqlQuery, compiler: Compiler, documents: list[Hit], size: int, per_key: int = 1,
                indexed: Callable[[dict], None] = lambda fields: None,
                category_field: str = "event.category") -> list[tuple[tuple, list]]:
    """(join key, the sample's hits in filter order) of each sample, in Elasticsearch's order, `size` at most
    and `per_key` per join key; `indexed` adds what the index adds to a document's flat fields."""
    if query.tree.pipes:
        raise UnsupportedEql("pipes after `sample` (Elasticsearch takes none)")
    flat = [flatten(dict(source)) for _, source in documents]
    for fields in flat:
        indexed(fields)
    found = find_samples(sample_filters(query, compiler, category_field), flat, frozenset(query.optional_fields), compiler.types,
                         size, per_key)
    return [(key, [documents[index] for index in picked]) for key, picked in found]


def sample_filters(query: EqlQuery, compiler: Compiler, category_field: str = "event.category") -> list[Filter]:
    """Each filter of a `sample` query: its predicate and its join fields (the sample's `by`, then its own)."""
    return [(compile_event_query(query, sub.query, compiler, category_field), [field_name(f) for f in sub.join_values])
            for sub in query.tree.first.queries]


def find_samples(filters: list[Filter], events: list[dict], nullable: frozenset,
                 types: Callable[[str], str | None], size: int, per_key: int = 1) -> list[tuple[tuple, list[int]]]:
    """(join key, the positions in `events` (flat fields, in index order) of its sample) of each sample, at
    most `per_key` (the request's max_samples_per_key) per key."""
    keyed: list[dict[tuple, list[int]]] = []  # per filter: key -> the events that match it with that key
    for predicate, names in filters:
        by_key: dict[tuple, list[int]] = {}
        normalise = _normaliser(names, types)
        for index, fields in enumerate(events):
            if predicate(fields):
                for key in candidate_keys(fields, names, nullable):
                    by_key.setdefault(normalise(key), []).append(index)
        keyed.append(by_key)
    common = set(keyed[0])
    for by_key in keyed[1:]:
        common &= set(by_key)
    out: list[tuple[tuple, list[int]]] = []
    for key in sorted(common, key=_key_order):
        # each filter's first events with the key: as many as one sample per key more than needed
        first = [by_key[key][:len(filters) + per_key - 1] for by_key in keyed]
        for picked in _combinations(first, per_key):
            if len(out) == size:
                return out
            out.append((key, picked))
    return out


def _combinations(candidates: list[list[int]], wanted: int) -> list[list[int]]:
    """The first `wanted` combinations, one per filter, of distinct documents, in the order Elasticsearch's
    backtracking finds them."""
    found: list[list[int]] = []
    chosen: list[int] = []

    def pick(stage: int) -> None:
        for index in candidates[stage]:
            if index in chosen:
                continue
            chosen.append(index)
            if stage == len(candidates) - 1:
                found.append(list(chosen))
            else:
                pick(stage + 1)
            chosen.pop()
            if len(found) == wanted:
                return

    pick(0)
    return found


def _normaliser(names: list[str], types: Callable[[str], str | None]) -> Callable[[tuple], tuple]:
    kinds = [types(name) for name in names]

    def normalise(key: tuple) -> tuple:
        return tuple(_key_value(value, kind, name) for value, kind, name in zip(key, kinds, names))

    return normalise


def _key_value(value: Any, kind: str | None, name: str) -> Any:
    """A key value as the composite aggregation gives it for the field's type."""
    if value is None:
        return None
    if kind in ("date", "date_nanos"):
        millis = datemath.value_ms(value)
        if millis is None:
            raise UnsupportedEql(f"the date {value!r} of the sample key {name} (a mapping's own date format: the "
                                 "local engine reads ISO 8601 and epoch milliseconds only)")
        return int(millis)
    if kind == "boolean" and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if kind == "ip" and isinstance(value, str):
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            return value
    if kind in ("long", "integer", "short", "byte") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key_order(key: tuple) -> tuple:
    """Ascending per key field, a null first (the composite aggregation's missing bucket)."""
    return tuple((0, "") if v is None else (1, _rank(v), v) for v in key)


def _rank(value: Any) -> int:
    # values of one field share a type; the rank only keeps a mixed field from failing to sort
    return 0 if isinstance(value, bool) else 1 if isinstance(value, (int, float)) else 2
