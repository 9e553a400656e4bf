"""`_search` with a KQL query over local documents, answered as Elasticsearch answers the DSL Kibana builds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..documents import flatten
from ..mapping import Mapping, MappingLike, as_mapping
from .ast import And, Match, Nested, Node, Not, Or, Range
from .evaluate import compile_kql
from .parser import parse_kql

DEFAULT_SIZE = 10  # _search's default size


def search(query: str | Node, documents: Iterable[Any], mapping: MappingLike = None, size: int = DEFAULT_SIZE,
           now: float | None = None) -> dict:
    """The body of `_search` for this KQL over `documents`: `{"hits": {"total": {"value": N, "relation":
    "eq"}, "hits": [{"_id", "_source"}, ...]}}`, the first `size` matches in the documents' order.

    `documents` are dicts (a dict's `_id`, when present, is its id and not part of its source; else its
    position) or objects with `id` and `source`. `mapping` is the index's (elastic_pack.mapping.Mapping, a
    dict field -> type, or a callable; default: Mapping.default()): a field it does not map is mapped from its
    first value, as Elasticsearch's dynamic mapping maps it (the mapping's dynamic templates, date detection;
    else a string is `text` with a `.keyword` multi-field: Mapping.dynamic_field), unless the mapping says
    `"dynamic": false` (then no query finds it) or `"dynamic": "strict"` (a document with such a field raises
    UnsupportedQueryError: Elasticsearch rejects it at index time). `now`
    (epoch seconds) is the clock of date math. Raises QuerySyntaxError or QueryTypeError (KqlSyntaxError,
    KqlTypeError) where Elasticsearch would fail the search."""
    if size < 0:
        raise ValueError("size must be 0 or more")
    tree = parse_kql(query) if isinstance(query, str) else query
    types = as_mapping(mapping)
    # a mapping given is the index's, whose fields a data view of it lists: wildcard field names expand over them
    data_view = list(types) if mapping is not None and isinstance(types, Mapping) else None
    clock = (lambda: now) if now is not None else time.time
    dynamic = getattr(types, "dynamic", True) is not False
    searchable = (lambda flat: flat) if dynamic else _searchable(types)
    identified = (_identified(document, position) for position, document in enumerate(documents))
    flat_documents: Iterable[tuple[str, dict, dict]] = ((i, s, flatten(dict(s))) for i, s in identified)
    strict = getattr(types, "strict", False)
    unmapped = _unmapped_fields(tree, types) if dynamic or strict else set()
    if isinstance(types, Mapping) and (unmapped or (mapping is not None and (dynamic or strict))):
        # the index's mapping once every document is indexed into it (dynamic mapping, the first value of a
        # field decides): a mapping given is the index's, whose data view lists the fields documents added
        flat_documents = list(flat_documents)
        types = types.indexed((source for _, source, _ in flat_documents), None if mapping is not None else unmapped)
        data_view = list(types) if data_view is not None else None
    elif unmapped:  # a plain resolver: the first value's type, as the integrations' templates map it
        flat_documents = list(flat_documents)
        types = _DynamicallyMapped(types, _dynamic_types(unmapped, [flat for _, _, flat in flat_documents]))
    predicate = compile_kql(tree, types, clock, data_view)
    total = 0
    hits: list[dict] = []
    for doc_id, source, flat in flat_documents:
        if predicate(searchable(flat)):
            total += 1
            if len(hits) < size:
                hits.append({"_id": doc_id, "_source": source})
    return {"hits": {"total": {"value": total, "relation": "eq"}, "hits": hits}}


def _identified(document: Any, position: int) -> tuple[str, dict]:
    if isinstance(document, dict):
        source = dict(document)
        given = source.pop("_id", None)
        return (str(given) if given is not None else str(position)), source
    return str(document.id), document.source


def _searchable(types: Callable[[str], "str | None"]) -> Callable[[dict], dict]:
    """A flat document's fields that the mapping maps (a flattened field's keys are that field's)."""
    known: dict[str, bool] = {}

    def mapped(name: str) -> bool:
        if name not in known:
            known[name] = types(name) is not None
        return known[name]

    return lambda flat: {k: v for k, v in flat.items() if mapped(k)}


def _unmapped_fields(tree: Node, types: Callable[[str], "str | None"]) -> set[str]:
    """The fields a `field: value` or range of the query names (not inside a nested group) that the mapping
    does not map."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Nested):
            return  # dynamic mapping never makes a nested field: the nested query fails on the path first
        if isinstance(node, (Match, Range)):
            if not node.field_glob and types(node.field) is None:
                found.add(node.field)
            return
        if isinstance(node, (And, Or)):
            for child in node.items:
                walk(child)
        elif isinstance(node, Not):
            walk(node.item)

    walk(tree)
    return found


def _dynamic_types(fields: set[str], flat_documents: list[dict]) -> dict[str, str]:
    """The type dynamic mapping gives each field: that of its first value in the documents (a field no
    document has stays unmapped). The index's mapping is one for all documents: a query value the type
    rejects fails the search, whichever documents the rest of the query keeps."""
    from .typed import infer_type
    from .values import field_values

    out: dict[str, str] = {}
    for flat in flat_documents:
        for field in fields - out.keys():
            values = field_values(flat, field)
            if values:
                out[field] = infer_type(values[0])
        if len(out) == len(fields):
            break
    return out


class _DynamicallyMapped:
    """A mapping with the fields dynamic mapping added to it (everything else is the mapping's own)."""

    def __init__(self, mapping: Callable[[str], "str | None"], added: dict[str, str]):
        self.mapping = mapping
        self.added = added

    def __call__(self, name: str) -> str | None:
        kind = self.mapping(name)
        return kind if kind is not None else self.added.get(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mapping, name)
