"""KQL to Elasticsearch Query DSL, shaped as Kibana's `toElasticsearchQuery` builds it.

Without field types (what the detection engine has for a rule without a data view) every `field: value` is
a `match`, or `match_phrase` when quoted; wildcards become `query_string` with Lucene's reserved characters
escaped; with a type resolver, date fields become a `range` from the value to the value, as Kibana does.
Elasticsearch then answers by the mapped type, which is what evaluate.py reproduces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ast import And, Exists, FreeText, Literal, Match, MatchAll, Nested, Node, Not, Or, Range, Wildcard

_RANGE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_RESERVED = re.compile(r'[+\-=&|><!(){}\[\]^"~*?:\\/]')


def query_string_pattern(value: Wildcard) -> str:
    return "*".join(_RESERVED.sub(lambda m: "\\" + m.group(0), part) for part in value.parts)


def _should(query: dict) -> dict:
    return {"bool": {"should": [query], "minimum_should_match": 1}}


def _value(value: Literal) -> object:
    return value.constant


def to_dsl(node: Node, types: Callable[[str], "str | None"] | None = None) -> dict:
    """The query DSL Kibana sends for a parsed KQL tree."""
    kind_of = types or (lambda name: None)
    if isinstance(node, And):
        return {"bool": {"filter": [to_dsl(i, types) for i in node.items]}}
    if isinstance(node, Or):
        return {"bool": {"should": [to_dsl(i, types) for i in node.items], "minimum_should_match": 1}}
    if isinstance(node, Not):
        return {"bool": {"must_not": to_dsl(node.item, types)}}
    if isinstance(node, MatchAll):
        return {"match_all": {}}
    if isinstance(node, Exists):
        return _should({"exists": {"field": node.field}})
    if isinstance(node, Nested):
        return {"nested": {"path": node.path, "query": to_dsl(node.query, types), "score_mode": "none"}}
    if isinstance(node, FreeText):
        if isinstance(node.value, Wildcard):
            return {"query_string": {"query": query_string_pattern(node.value)}}
        return {"multi_match": {"type": "phrase" if node.value.quoted else "best_fields",
                                "query": _value(node.value), "lenient": True}}
    if isinstance(node, Match):
        if isinstance(node.value, Wildcard):
            return _should({"query_string": {"fields": [node.field], "query": query_string_pattern(node.value)}})
        if kind_of(node.field) in ("date", "date_nanos"):
            value = _value(node.value)
            return _should({"range": {node.field: {"gte": value, "lte": value, "time_zone": "UTC"}}})
        query_type = "match_phrase" if node.value.quoted else "match"
        return _should({query_type: {node.field: _value(node.value)}})
    if isinstance(node, Range):
        params: dict = {_RANGE[node.op]: _value(node.value)}
        if kind_of(node.field) in ("date", "date_nanos"):
            params["time_zone"] = "UTC"
        return _should({"range": {node.field: params}})
    raise TypeError(f"unexpected KQL node {node!r}")
