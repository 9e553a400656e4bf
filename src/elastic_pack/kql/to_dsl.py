"""KQL to Elasticsearch Query DSL, as Kibana translates the subset the pack uses (for keyword fields)."""

from __future__ import annotations

from ..fields import NUMBER_TYPES, field_type
from .ast import And, Exists, Literal, Match, Node, Not, Or, Range, ValueAnd, ValueNot, ValueOr

_RANGE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _literal(field: str, literal: Literal) -> dict:
    if literal.is_wildcard:
        pattern = literal.text.replace("\\", "\\\\").replace("?", "\\?")
        return {"wildcard": {field: {"value": pattern}}}
    value: object = literal.text
    if field_type(field) in NUMBER_TYPES:
        try:
            value = float(literal.text) if "." in literal.text else int(literal.text)
        except ValueError:
            pass
    return {"term": {field: value}}


def _values(field: str, node: Node) -> dict:
    if isinstance(node, Literal):
        return _literal(field, node)
    if isinstance(node, ValueOr):
        return {"bool": {"should": [_values(field, i) for i in node.items], "minimum_should_match": 1}}
    if isinstance(node, ValueAnd):
        return {"bool": {"filter": [_values(field, i) for i in node.items]}}
    if isinstance(node, ValueNot):
        return {"bool": {"must_not": [_values(field, node.item)]}}
    raise TypeError(f"unexpected value node {node!r}")


def to_dsl(node: Node) -> dict:
    if isinstance(node, And):
        return {"bool": {"filter": [to_dsl(i) for i in node.items]}}
    if isinstance(node, Or):
        return {"bool": {"should": [to_dsl(i) for i in node.items], "minimum_should_match": 1}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [to_dsl(node.item)]}}
    if isinstance(node, Exists):
        return {"exists": {"field": node.field}}
    if isinstance(node, Match):
        return _values(node.field, node.value)
    if isinstance(node, Range):
        return {"range": {node.field: {_RANGE[node.op]: node.value.text}}}
    raise TypeError(f"unexpected KQL node {node!r}")
