"""KQL as Kibana parses it and Elasticsearch answers it: a public API.

    from elastic_pack import kql
    tree = kql.parse('process.name: "cmd.exe" and source.ip: 10.0.0.0/8')
    kql.evaluate(tree, {"process": {"name": "cmd.exe"}, "source": {"ip": "10.1.2.3"}})   # True
    kql.evaluate(tree, doc, field_types={"source.ip": "ip"})                           # your mapping
    kql.to_dsl(tree)                                                                   # what Kibana sends
    kql.search(tree, documents, mapping=Mapping.load("template.json"))                  # _search's body

`parse` raises QuerySyntaxError (KqlSyntaxError, with line and column) where Kibana's grammar does; `evaluate`,
`search` and `compile_kql` raise QueryTypeError (KqlTypeError) where Elasticsearch would reject the query for
the field's type. All are elastic_pack.errors.QueryError, shared with elastic_pack.eql and elastic_pack.esql.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Mapping as Document
from typing import Any

from ..documents import flatten
from ..mapping import Mapping
from ..errors import QueryError, QuerySyntaxError, QueryTypeError, UnsupportedQueryError
from .ast import Node
from .evaluate import compile_kql
from .parser import KqlSyntaxError, parse_kql
from .search import search
from .to_dsl import to_dsl as _to_dsl
from .typed import KqlTypeError

__all__ = ["KqlSyntaxError", "KqlTypeError", "Node", "QueryError", "QuerySyntaxError", "QueryTypeError",
           "UnsupportedQueryError", "compile_kql", "evaluate", "parse", "parse_kql", "search", "to_dsl"]

FieldTypes = Mapping | dict | Callable[[str], "str | None"] | None


def parse(query: str) -> Node:
    """Parse KQL as Kibana does."""
    return parse_kql(query)


def _resolver(field_types: FieldTypes) -> Callable[[str], "str | None"]:
    """The types: a Mapping or callable as given, a dict over the default mapping (fields it leaves out keep
    the catalogue's type), None the default mapping."""
    if field_types is None:
        return Mapping.default()
    if callable(field_types):
        return field_types
    return Mapping.from_json(dict(field_types)).over(Mapping.default())


def _data_view(field_types: FieldTypes) -> list[str] | None:
    """The field list Kibana expands wildcard field names over: that of a mapping given as a Mapping or dict
    (as a data view of the index lists its fields); none otherwise, as in the detection engine."""
    if isinstance(field_types, Mapping):
        return list(field_types)
    if isinstance(field_types, dict):
        return list(Mapping.from_json(dict(field_types)))
    return None


def evaluate(query: str | Node, document: Document[str, Any], field_types: FieldTypes = None,
             now: float | None = None) -> bool:
    """Whether Elasticsearch would return `document` for this KQL query.

    `document` may be nested or flat (dotted keys); `field_types` maps field names to Elasticsearch types
    (unknown fields fall back to the field catalogue, then to the value's JSON type); `now` is the time
    date math is relative to, in epoch seconds."""
    tree = parse_kql(query) if isinstance(query, str) else query
    clock = (lambda: now) if now is not None else time.time
    return compile_kql(tree, _resolver(field_types), clock, _data_view(field_types))(flatten(dict(document)))


def to_dsl(query: str | Node, field_types: FieldTypes = None) -> dict:
    """The Elasticsearch query DSL Kibana builds for this KQL: without field types as the detection engine
    builds it (no field list); with a mapping (Mapping or dict) as Kibana builds it for a data view of that
    index: date fields as ranges, wildcard field names expanded over the mapping's fields."""
    tree = parse_kql(query) if isinstance(query, str) else query
    if field_types is None:
        return _to_dsl(tree)
    return _to_dsl(tree, _resolver(field_types), _data_view(field_types))
