"""Literal values compared with fields of another type (a string against a long field, and so on)."""

from __future__ import annotations

from collections.abc import Iterator

from ..eql import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast as eql_ast

from ..content.queries import KqlQuery
from ..eql.parser import EqlQuery, field_name
from ..fields import NUMBER_TYPES, STRING_TYPES, field_type
from ..kql import KqlTypeError, compile_kql
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
    for item in kql_ast.walk(node):
        if isinstance(item, kql_ast.Range) and field_type(item.field) in STRING_TYPES - {"ip"}:
            yield f"range on {item.field}, a {field_type(item.field)} field, compares strings, not numbers"
    try:
        compile_kql(node)
    except KqlTypeError as exc:
        yield str(exc)


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
