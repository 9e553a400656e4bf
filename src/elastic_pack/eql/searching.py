"""One EQL query over local documents, answered as Elasticsearch's `_eql/search` answers it.

Events are searched on their `@timestamp`, in time order (ties in the order the documents were given: the
local stand-in for Elasticsearch's tiebreaker). Without `| head`/`| tail` the answer holds the `size` most
recent results (the request's result_position, "tail" by default); each pipe keeps the first or last N of the
results before it, never more than `size` (Elasticsearch's LogicalPlanBuilder caps every limit by the size).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast

from ..documents import flatten
from ..engine.events import Event, parse_time
from ..mapping import Mapping, MappingLike, as_mapping
from .compile import Compiler, EqlTypeError, UnsupportedEql, compile_event_query
from .parser import EqlQuery, field_name, parse_eql
from .pipes import apply_pipes, pipes_of
from .sample import run_samples
from .sequence import SequenceMatcher, Stage

DEFAULT_SIZE = 10  # _eql/search's default size


def _named(documents: Iterable[Any]) -> list[tuple[str, dict]]:
    """(id, source) of each document: an object with `.id` and `.source`, or a dict named by its own `_id`
    (a metadata field, never part of the source), else by its position."""
    out = []
    for index, document in enumerate(documents):
        if hasattr(document, "source") and hasattr(document, "id"):
            out.append((str(document.id), document.source))
            continue
        if not isinstance(document, dict):
            raise TypeError(f"document [{index}] is a {type(document).__name__}: a document is a JSON object (a "
                            "dict) or has `id` and `source`")
        source = dict(document)
        given = source.pop("_id", None)
        out.append((str(given) if given is not None else f"[{index}]", source))
    return out


def _event(name: str, source: dict, timestamp_field: str) -> Event | None:
    """The event of a document, timed by its timestamp field (any date a date field holds: a search has no
    schedule, so none of the rule engine's plausibility limits); None without one, as EQL cannot order it."""
    event = Event(None, 0.0, 0.0, name, source)
    stamp = event.get(timestamp_field)
    if isinstance(stamp, list) and len(stamp) == 1:
        stamp = stamp[0]
    try:
        event.timestamp = event.window_time = parse_time(stamp)
    except (ValueError, TypeError, OverflowError):
        return None
    return event


def search(query: str | EqlQuery, documents: Iterable[Any], mapping: MappingLike = None,
           size: int = DEFAULT_SIZE, max_samples_per_key: int = 1, event_category_field: str = "event.category",
           timestamp_field: str = "@timestamp", tiebreaker_field: str | None = None,
           result_position: str = "tail") -> dict:
    """The body of Elasticsearch's `_eql/search` response for `query` over `documents`: `hits.events` for an
    event query, `hits.sequences` (with `join_keys`, missing events marked `missing: true`) for a sequence or a
    sample (eql.sample: documents need no @timestamp there; `max_samples_per_key` as the request's).
    `mapping` is the index's (elastic_pack.mapping.Mapping, a dict field -> type or mapping JSON, or a callable;
    default: Mapping.default()): comparisons on date, ip and version fields are typed by it. Raises
    QuerySyntaxError (EqlQueryError) or QueryTypeError (EqlTypeError) where Elasticsearch would fail the search,
    UnsupportedQueryError (UnsupportedEql) for a construct the local engine refuses. `event_category_field`,
    `timestamp_field` and `tiebreaker_field` are the request's: the field `process where` reads, the time
    events are ordered and sequences measured on, and what orders events of one time (missing: last; then
    the order given); `result_position` which `size` results a query without pipes keeps: "tail", the most
    recent (Elasticsearch's default), or "head", the earliest."""
    if size < 0:
        raise ValueError("size must be 0 or more")
    if result_position not in ("head", "tail"):
        raise ValueError(f"result_position is head or tail, not {result_position!r}")
    if max_samples_per_key < 1:
        raise ValueError("max_samples_per_key must be 1 or more")
    parsed = query if isinstance(query, EqlQuery) else parse_eql(query, optional_comparisons=True)
    pipes = pipes_of(parsed)
    types = as_mapping(mapping)
    named = _named(documents)
    if isinstance(types, Mapping) and mapping is not None and not types.table:
        # the index's mapping once the documents are indexed into it: the fields they add by dynamic mapping
        # are typed as Elasticsearch maps them (a string text with a `.keyword` multi-field EQL compares through)
        types = types.indexed(source for _, source in named)
    absent = _absent_optional_fields(parsed, types, named)
    compiler = Compiler(parsed, types, absent if parsed.compares_fields else None)
    _check_exact(parsed, types)
    indexed = _indexed_fields(types, parsed.fields | {event_category_field})
    if parsed.is_sample:
        samples = run_samples(parsed, compiler, named, size, max_samples_per_key, indexed, event_category_field)
        return _response("sequences", [{"join_keys": list(key), "events": [_hit(hit) for hit in hits]} if key
                                       else {"events": [_hit(hit) for hit in hits]} for key, hits in samples])
    read = []
    for position, (name, source) in enumerate(named):
        event = _event(name, source, timestamp_field)
        if event is not None:
            indexed(event.fields)
            tiebreak = _tiebreak(event.fields.get(tiebreaker_field)) if tiebreaker_field else ()
            read.append((event.timestamp, tiebreak, position, event, (name, source)))
    read.sort(key=lambda item: item[:3])
    events = [(timestamp, position, event, hit) for timestamp, _, position, event, hit in read]

    def kept(results: list) -> list:
        return apply_pipes(pipes or [(result_position, size)], results, size)

    if parsed.sequence is None:
        first = parsed.tree.first
        if not isinstance(first, ast.EventQuery):
            raise UnsupportedEql(f"EQL {type(first).__name__.lower()} queries")
        predicate = compile_event_query(parsed, first, compiler, event_category_field)
        chosen = kept([hit for _, _, event, hit in events if predicate(event.fields)])
        return _response("events", [_hit(hit) for hit in chosen])
    return _response("sequences", _sequences(parsed, compiler, events, kept, event_category_field))


def _indexed_fields(types: Any, wanted: set[str]) -> Callable[[dict], None]:
    """What the index makes of a document's fields: an alias reads its target's value, a multi-field
    (`hostname.keyword`) its parent's (the mapping's `alias` and `fields`); with `"dynamic": false` a field
    the mapping lacks stays in _source only, and no query reads it. Only the `wanted` fields (the query's)
    are added."""
    copies = {name: source for name, source in {**getattr(types, "aliases", {}),
                                                 **getattr(types, "multi_fields", {})}.items() if name in wanted}
    hidden = getattr(types, "dynamic", True) is False
    if not copies and not hidden:
        return lambda fields: None

    def index(fields: dict) -> None:
        if hidden:
            for name in [name for name in fields if types(name) is None]:
                del fields[name]
        for name, source in copies.items():
            if name not in fields and source in fields:
                fields[name] = fields[source]

    return index


def _absent_optional_fields(query: EqlQuery, types: Callable[[str], str | None],
                            named: list[tuple[str, dict]]) -> frozenset[str]:
    """The optional `?fields` the index lacks (null wherever the query reads them; looked for only when the
    query compares them with fields). Elasticsearch fails an EQL query naming any other field the index lacks
    (`Unknown column`). The index has the mapping's fields and, as
    a dynamic mapping adds them (unless it says `"dynamic": false`), every field of its documents."""
    wanted = query.fields if query.compares_fields else query.fields - query.optional_fields
    absent = {name for name in wanted if types(name) is None}
    for _, source in ([] if not absent or getattr(types, "dynamic", True) is False else named):
        absent -= flatten(dict(source)).keys()
        if not absent:
            break
    unknown = absent - query.optional_fields
    if unknown:
        name = min(unknown)
        raise EqlTypeError(f"Unknown column [{name}]: neither the mapping nor any document has it, and "
                           f"Elasticsearch fails the query (`?{name}` is an optional field, null where missing)")
    return frozenset(absent)


_EXACT = ("keyword", "constant_keyword", "wildcard")


def _check_exact(query: EqlQuery, types: Any) -> None:
    """EQL compares a text field through an exact (keyword) multi-field of it; Elasticsearch fails a query on a
    text field that has none."""
    exact_of = {parent for sub, parent in getattr(types, "multi_fields", {}).items() if types(sub) in _EXACT}
    for name in sorted(query.fields):
        if types(name) in ("text", "match_only_text") and name not in exact_of:
            raise EqlTypeError(f"No keyword/multi-field defined exact matches for [{name}]; define one or use "
                               "MATCH/QUERY instead (Elasticsearch fails the query: EQL compares exact values)")


def _response(kind: str, results: list) -> dict:
    return {"is_partial": False, "is_running": False, "timed_out": False,
            "hits": {"total": {"value": len(results), "relation": "eq"}, kind: results}}


def _hit(hit: tuple[str, dict]) -> dict:
    return {"_id": hit[0], "_source": hit[1]}


def _tiebreak(value: Any) -> tuple:
    """A tiebreaker value's place: ascending, a missing one last (a sort's default for missing values)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return (2,)
    return (0, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, str(value))


def _sequences(query: EqlQuery, compiler: Compiler, events: list, kept: Callable, category_field: str) -> list:
    sequence = query.sequence
    assert sequence is not None
    compiled: dict[int, Any] = {}

    def stage_of(sub: Any, missing: bool = False) -> Stage:
        if id(sub.query) not in compiled:
            compiled[id(sub.query)] = compile_event_query(query, sub.query, compiler, category_field)
        return Stage(compiled[id(sub.query)], [field_name(f) for f in sub.join_values], missing)

    stages = [stage_of(sub, bool(sub.data.get("is_negated"))) for sub in sequence.queries]
    until = stage_of(sequence.close, True) if sequence.close is not None else None
    maxspan = query.maxspan.total_seconds() if query.maxspan else None
    nullable = frozenset(f for keys in query.stage_join_fields for f in keys) & frozenset(query.optional_fields)
    matcher = SequenceMatcher(stages, maxspan, nullable, until)
    found: list = []
    for _, _, event, _ in events:
        found.extend(matcher.feed(event))
    found.extend(matcher.finish())
    found.sort(key=lambda seq: seq.order)
    by_event = {id(event): hit for _, _, event, hit in events}
    out = []
    for seq in kept(found):
        positive = iter(seq)
        items = []
        for stage in stages:
            if stage.missing:
                items.append({"_index": "", "_id": "", "_source": {}, "missing": True})
            else:
                items.append(_hit(by_event[id(next(positive))]))
        # the key the events joined on (one value of a multi-valued field: each value is a key of its own)
        out.append({"join_keys": list(seq.key), "events": items} if seq.key else {"events": items})
    return out
