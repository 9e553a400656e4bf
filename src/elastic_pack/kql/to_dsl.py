"""KQL to Elasticsearch Query DSL, shaped as Kibana's `toElasticsearchQuery` builds it.

Without field types (what the detection engine has for a rule without a data view) every `field: value` is
a `match`, or `match_phrase` when quoted; wildcards become `query_string` with Lucene's reserved characters
escaped; with a type resolver, date fields become a `range` from the value to the value, as Kibana does.
Elasticsearch then answers by the mapped type, which is what evaluate.py reproduces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .data_view import check_nesting
from .ast import And, Exists, FreeText, Literal, Match, MatchAll, Nested, Node, Not, Or, Range, Wildcard

_RANGE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_RESERVED = re.compile(r'[+\-=&|><!(){}\[\]^"~*?:\\/]')


def query_string_pattern(value: Wildcard) -> str:
    return "*".join(_RESERVED.sub(lambda m: "\\" + m.group(0), part) for part in value.parts)


def _value(value: Literal) -> object:
    return value.constant


def to_dsl(node: Node, types: Callable[[str], "str | None"] | None = None,
           fields: Sequence[str] | None = None) -> dict:
    """The query DSL Kibana sends for a parsed KQL tree. `types` types the fields (date fields become ranges);
    `fields` is the data view's field list, over which Kibana expands a wildcard field name (without one,
    as in the detection engine, the pattern is sent as the field name)."""
    return _Builder(types or (lambda name: None), fields, getattr(types, "nested_path", None)).build(node)


class _Builder:
    def __init__(self, kind_of: Callable[[str], "str | None"], fields: Sequence[str] | None,
                 nested_path: Callable[[str], "str | None"] | None):
        self.kind_of = kind_of
        self.fields = fields
        self.listed = frozenset(fields or ())
        self.nested_path = nested_path
        self.scope: str | None = None  # the nested group being built

    def build(self, node: Node) -> dict:
        if isinstance(node, And):
            return {"bool": {"filter": [self.build(i) for i in node.items]}}
        if isinstance(node, Or):
            return {"bool": {"should": [self.build(i) for i in node.items], "minimum_should_match": 1}}
        if isinstance(node, Not):
            return {"bool": {"must_not": self.build(node.item)}}
        if isinstance(node, MatchAll):
            return {"match_all": {}}
        if isinstance(node, Nested):
            outer, self.scope = self.scope, node.path
            try:
                return {"nested": {"path": node.path, "query": self.build(node.query), "score_mode": "none"}}
            finally:
                self.scope = outer
        if isinstance(node, FreeText):
            if isinstance(node.value, Wildcard):
                return {"query_string": {"query": query_string_pattern(node.value)}}
            return {"multi_match": {"type": "phrase" if node.value.quoted else "best_fields",
                                    "query": _value(node.value), "lenient": True}}
        if isinstance(node, (Exists, Match, Range)):
            return {"bool": {"should": [self._wrapped(node, name) for name in self._names(node)],
                             "minimum_should_match": 1}}
        raise TypeError(f"unexpected KQL node {node!r}")

    def _names(self, node: Exists | Match | Range) -> list[str]:
        """The fields a field name stands for: a wildcard one, those of the data view it matches, else itself."""
        names = [node.field]
        if node.field_glob and self.fields is not None:
            pattern = re.compile(".*".join(map(re.escape, node.field.split("*"))), re.DOTALL)
            names = [name for name in self.fields if pattern.fullmatch(name)] or names
            if self.scope is None:  # Kibana checks a pattern's fields only inside a nested group
                return names
        if self.fields is not None:
            for name in names:
                check_nesting(name, self.scope, self.listed, self.nested_path)
        return names

    def _wrapped(self, node: Exists | Match | Range, name: str) -> dict:
        """One field's query; a wildcard field name that covers a nested field gets the nested query Kibana
        adds for it (a field named plainly inside `path:{...}` is already in one)."""
        query = self._clause(node, name)
        path = self.nested_path(name) if self.nested_path is not None and node.field_glob else None
        if path is None or self.scope is not None or name == node.field:
            return query
        return {"nested": {"path": path, "query": query, "score_mode": "none"}}

    def _clause(self, node: Exists | Match | Range, name: str) -> dict:
        if isinstance(node, Exists):
            return {"exists": {"field": name}}
        dated = self.kind_of(name) in ("date", "date_nanos")
        if isinstance(node, Range):
            params: dict = {_RANGE[node.op]: _value(node.value)}
            if dated:
                params["time_zone"] = "UTC"
            return {"range": {name: params}}
        if isinstance(node.value, Wildcard):
            return {"query_string": {"fields": [name], "query": query_string_pattern(node.value)}}
        if dated:
            value = _value(node.value)
            return {"range": {name: {"gte": value, "lte": value, "time_zone": "UTC"}}}
        return {"match_phrase" if node.value.quoted else "match": {name: _value(node.value)}}
