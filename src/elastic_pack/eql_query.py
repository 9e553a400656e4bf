"""EQL queries parsed with Elastic's `eql` package, in Elasticsearch syntax with sequence `runs`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import eql
from eql import ast
from eql.parser import allow_runs, elasticsearch_syntax, ignore_missing_fields, skip_optimizations

_OPTIONAL_FIELD = re.compile(r"\?([A-Za-z_@][\w.@]*)")
_SPAN_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class EqlQueryError(ValueError):
    """An EQL query Elasticsearch would reject; line and column are 1-based within the query."""

    def __init__(self, message: str, line: int | None, column: int | None):
        self.reason = message
        self.line = line
        self.column = column
        super().__init__(message if line is None else f"{message} (line {line}, column {column})")


@dataclass
class EqlQuery:
    text: str
    tree: ast.PipedQuery
    fields: set[str] = field(default_factory=set)
    optional_fields: set[str] = field(default_factory=set)

    @property
    def sequence(self) -> ast.Sequence | None:
        return self.tree.first if isinstance(self.tree.first, ast.Sequence) else None

    @property
    def maxspan(self) -> timedelta | None:
        seq = self.sequence
        if seq is None or seq.max_span is None:
            return None
        span = seq.max_span
        return timedelta(seconds=span.quantity * _SPAN_UNITS[span.unit.value if hasattr(span.unit, "value") else str(span.unit)])

    @property
    def join_fields(self) -> list[str]:
        seq = self.sequence
        if seq is None or not seq.queries:
            return []
        return [field_name(f) for f in seq.queries[0].join_values]

    @property
    def stage_count(self) -> int:
        seq = self.sequence
        return len(seq.queries) if seq is not None else 1


def field_name(node: ast.Field) -> str:
    return ".".join([node.base, *(str(p) for p in node.path)])


def _collect_fields(node, seen: set[int], out: set[str]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ast.Field):
        out.add(field_name(node))
        return
    if isinstance(node, ast.BaseNode):
        for slot in node.__slots__:
            _collect_fields(getattr(node, slot, None), seen, out)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _collect_fields(item, seen, out)


def parse_eql(text: str) -> EqlQuery:
    """Parse as Elasticsearch would (case-sensitive `==`, `?field`, `with runs=N`); raise EqlQueryError."""
    try:
        with elasticsearch_syntax, allow_runs, ignore_missing_fields, skip_optimizations:
            tree = eql.parse_query(text)
    except eql.EqlError as exc:
        reason = getattr(exc, "error_msg", None) or str(exc).splitlines()[-1]
        line = exc.line + 1 if isinstance(getattr(exc, "line", None), int) else None
        column = exc.column + 1 if isinstance(getattr(exc, "column", None), int) else None
        raise EqlQueryError(reason, line, column) from None
    fields: set[str] = set()
    _collect_fields(tree, set(), fields)
    return EqlQuery(text=text, tree=tree, fields=fields, optional_fields=set(_OPTIONAL_FIELD.findall(text)))
