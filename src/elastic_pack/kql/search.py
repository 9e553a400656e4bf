"""`_search` with a KQL query over local documents, answered as Elasticsearch answers the DSL Kibana builds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..documents import flatten
from ..mapping import Mapping, MappingLike, as_mapping
from .ast import Node
from .evaluate import compile_kql
from .parser import parse_kql

DEFAULT_SIZE = 10  # _search's default size


def search(query: str | Node, documents: Iterable[Any], mapping: MappingLike = None, size: int = DEFAULT_SIZE,
           now: float | None = None) -> dict:
    """The body of `_search` for this KQL over `documents`: `{"hits": {"total": {"value": N, "relation":
    "eq"}, "hits": [{"_id", "_source"}, ...]}}`, the first `size` matches in the documents' order.

    `documents` are dicts (a dict's `_id`, when present, is its id and not part of its source; else its
    position) or objects with `id` and `source`. `mapping` is the index's (elastic_pack.mapping.Mapping, a
    dict field -> type, or a callable; default: Mapping.default()): a field it does not map is typed from its
    value, as dynamic mapping does, unless the mapping says `"dynamic": false` (then no query finds it). `now`
    (epoch seconds) is the clock of date math. Raises QuerySyntaxError or QueryTypeError (KqlSyntaxError,
    KqlTypeError) where Elasticsearch would fail the search."""
    if size < 0:
        raise ValueError("size must be 0 or more")
    tree = parse_kql(query) if isinstance(query, str) else query
    types = as_mapping(mapping)
    # a mapping given is the index's, whose fields a data view of it lists: wildcard field names expand over them
    data_view = list(types) if mapping is not None and isinstance(types, Mapping) else None
    clock = (lambda: now) if now is not None else time.time
    predicate = compile_kql(tree, types, clock, data_view)
    searchable = _searchable(types) if getattr(types, "dynamic", True) is False else (lambda flat: flat)
    total = 0
    hits: list[dict] = []
    for position, document in enumerate(documents):
        doc_id, source = _identified(document, position)
        if predicate(searchable(flatten(dict(source)))):
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
