"""Literal values compared with fields of another type (a string against a long field, and so on)."""

from __future__ import annotations

from collections.abc import Iterator

from eql import ast as eql_ast

from ..content.queries import KqlQuery
from ..eql_query import EqlQuery, field_name
from ..fields import NUMBER_TYPES, STRING_TYPES, field_type
from ..kql import ast as kql_ast


def _literal_kind(node) -> str | None:
    if isinstance(node, eql_ast.String):
        return "string"
    if isinstance(node, eql_ast.Boolean):
        return "boolean"
    if isinstance(node, eql_ast.Number):
        return "number"
    return None


def _fits(field_kind: str, literal_kind: str) -> bool:
    if field_kind in STRING_TYPES or field_kind == "date":
        return literal_kind == "string"
    if field_kind in NUMBER_TYPES:
        return literal_kind == "number"
    if field_kind == "boolean":
        return literal_kind == "boolean"
    return True


def _eql_pairs(node, seen: set[int]) -> Iterator[tuple[str, object]]:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, eql_ast.Comparison) and isinstance(node.left, eql_ast.Field):
        yield field_name(node.left), node.right
    elif isinstance(node, eql_ast.InSet) and isinstance(node.expression, eql_ast.Field):
        for item in node.container:
            yield field_name(node.expression), item
    if isinstance(node, eql_ast.BaseNode):
        for slot in node.__slots__:
            yield from _eql_pairs(getattr(node, slot, None), seen)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _eql_pairs(item, seen)


def _kql_problems(node) -> Iterator[str]:
    if isinstance(node, (kql_ast.And, kql_ast.Or)):
        for item in node.items:
            yield from _kql_problems(item)
    elif isinstance(node, kql_ast.Not):
        yield from _kql_problems(node.item)
    elif isinstance(node, kql_ast.Match) and field_type(node.field) in NUMBER_TYPES:
        for literal in _kql_literals(node.value):
            try:
                float(literal.text)
            except ValueError:
                yield f"{node.field} is a {field_type(node.field)} field, but is matched with {literal.text!r}"
    elif isinstance(node, kql_ast.Range) and field_type(node.field) in STRING_TYPES - {"ip"}:
        yield f"range on {node.field}, a {field_type(node.field)} field, compares strings, not numbers"


def _kql_literals(node) -> Iterator[kql_ast.Literal]:
    if isinstance(node, kql_ast.Literal):
        yield node
    elif isinstance(node, (kql_ast.ValueOr, kql_ast.ValueAnd)):
        for item in node.items:
            yield from _kql_literals(item)
    elif isinstance(node, kql_ast.ValueNot):
        yield from _kql_literals(node.item)


def type_problems(parsed) -> list[str]:
    if not isinstance(parsed, (EqlQuery, KqlQuery)):
        return []  # ES|QL: Elasticsearch types it at run time
    if isinstance(parsed, KqlQuery):
        return list(dict.fromkeys(_kql_problems(parsed.tree)))
    problems = []
    for name, literal in _eql_pairs(parsed.tree, set()):
        kind, lit = field_type(name), _literal_kind(literal)
        if kind and lit and not _fits(kind, lit):
            problems.append(f"{name} is a {kind} field, but is compared with a {lit} ({literal})")
    return list(dict.fromkeys(problems))
