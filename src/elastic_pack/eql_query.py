"""EQL queries parsed with Elastic's `eql` package, in Elasticsearch syntax with sequence `runs`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import eql
from eql import ast
from eql.parser import (
    allow_negation,
    allow_runs,
    allow_sample,
    elasticsearch_syntax,
    ignore_missing_fields,
    lark_parser,
    skip_optimizations,
)
from lark import Token
from lark.exceptions import LarkError

_OPTIONAL_FIELD = re.compile(r"\?([A-Za-z_@][\w.@]*)")
_SPAN_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Elasticsearch's EQL functions; it resolves their names whatever their case (`cidrmatch` is `cidrMatch`)
ES_FUNCTIONS = {name.lower(): name for name in (
    "add", "between", "cidrMatch", "concat", "divide", "endsWith", "indexOf", "length", "modulo", "multiply",
    "number", "startsWith", "string", "stringContains", "substring", "subtract")}


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
        """The join fields of the first stage (each stage may join on fields of its own: stage_join_fields)."""
        seq = self.sequence
        if seq is None or not seq.queries:
            return []
        return [field_name(f) for f in seq.queries[0].join_values]

    @property
    def stage_join_fields(self) -> list[list[str]]:
        seq = self.sequence
        if seq is None:
            return []
        return [[field_name(f) for f in sub.join_values] for sub in seq.queries]

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


def _canonical_function_names(text: str) -> str:
    """The query with every function name in Elasticsearch's spelling; EqlQueryError for a function it lacks."""
    try:
        tree = lark_parser.parse(text, start="piped_query")
    except LarkError:
        return text  # eql's own parse reports the syntax error with its position
    chars = list(text)
    for node in tree.iter_subtrees_topdown():
        if node.data != "function_call":
            continue
        token = next(t for t in node.children if isinstance(t, Token))
        name = str(token).rstrip("~")
        canonical = ES_FUNCTIONS.get(name.lower())
        if canonical is None:
            raise EqlQueryError(f"Unknown function {name}: Elasticsearch's EQL has "
                                f"{', '.join(sorted(ES_FUNCTIONS.values()))}", token.line, token.column)
        chars[token.start_pos:token.start_pos + len(name)] = canonical
    return "".join(chars)


def parse_eql(text: str) -> EqlQuery:
    """Parse as Elasticsearch would (case-sensitive `==`, `?field`, `with runs=N`, `sample`, missing events
    `![...]`, function names in any case); raise EqlQueryError."""
    if not isinstance(text, str):
        raise EqlQueryError(f"an EQL query is text, not {type(text).__name__}", None, None)
    try:
        text = _canonical_function_names(text)
        with elasticsearch_syntax, allow_runs, allow_negation, allow_sample, ignore_missing_fields, \
                skip_optimizations:
            tree = eql.parse_query(text)
    except eql.EqlError as exc:
        reason = getattr(exc, "error_msg", None) or str(exc).splitlines()[-1]
        line = exc.line + 1 if isinstance(getattr(exc, "line", None), int) else None
        column = exc.column + 1 if isinstance(getattr(exc, "column", None), int) else None
        raise EqlQueryError(reason, line, column) from None
    fields: set[str] = set()
    _collect_fields(tree, set(), fields)
    return EqlQuery(text=text, tree=tree, fields=fields, optional_fields=set(_OPTIONAL_FIELD.findall(text)))
