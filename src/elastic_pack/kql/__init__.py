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
from collections.abc import Callable, Mapping
from typing import Any

from ..documents import flatten
from ..fields import field_type
from ..errors import QueryError, QuerySyntaxError, QueryTypeError, UnsupportedQueryError
from .ast import Node
from .evaluate import compile_kql
from .parser import KqlSyntaxError, parse_kql
from .search import search
from .to_dsl import to_dsl as _to_dsl
from .typed import KqlTypeError

__all__ = ["KqlSyntaxError", "KqlTypeError", "Node", "QueryError", "QuerySyntaxError", "QueryTypeError",
           "UnsupportedQueryError", "compile_kql", "evaluate", "parse", "parse_kql", "search", "to_dsl"]

FieldTypes = Mapping[str, str] | Callable[[str], "str | None"] | None


def parse(query: str) -> Node:
    """Parse KQL as Kibana does."""
    return parse_kql(query)


def _resolver(field_types: FieldTypes) -> Callable[[str], "str | None"]:
    if field_types is None:
        return field_type
    if callable(field_types):
        return field_types
    mapping = dict(field_types)
    return lambda name: mapping.get(name) or field_type(name)


def evaluate(query: str | Node, document: Mapping[str, Any], field_types: FieldTypes = None,
             now: float | None = None) -> bool:
    """Whether Elasticsearch would return `document` for this KQL query.

    `document` may be nested or flat (dotted keys); `field_types` maps field names to Elasticsearch types
    (unknown fields fall back to the field catalogue, then to the value's JSON type); `now` is the time
    date math is relative to, in epoch seconds."""
    tree = parse_kql(query) if isinstance(query, str) else query
    clock = (lambda: now) if now is not None else time.time
    return compile_kql(tree, _resolver(field_types), clock)(flatten(dict(document)))


def to_dsl(query: str | Node, field_types: FieldTypes = None) -> dict:
    """The Elasticsearch query DSL Kibana builds for this KQL (date fields as ranges when types are given)."""
    tree = parse_kql(query) if isinstance(query, str) else query
    return _to_dsl(tree, _resolver(field_types) if field_types is not None else None)
