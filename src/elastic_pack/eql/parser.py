"""EQL queries parsed with Elastic's `eql` package, in Elasticsearch syntax with sequence `runs`."""

from __future__ import annotations

import ipaddress
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from . import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from ..durations import MAX_SPAN_DAYS
from ..errors import QuerySyntaxError
from .exceptions import UnsupportedEql
import eql
import eql.parser as eql_parser
from eql import ast
from eql.parser import (
    ParserConfig,
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
_FIELD_COMPARISON = re.compile(r"Comparisons against fields are not .*offender \[([^\]]+)\]")
# Elasticsearch's syntax with comparisons of a field with a field accepted: the search decides on them once it
# knows which optional fields the index lacks (see Compiler.field_comparison)
_WITH_FIELD_COMPARISONS = ParserConfig(elasticsearch_syntax=True, reject_field_comparisons=False)
_SPAN_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Elasticsearch's EQL functions; it resolves their names whatever their case (`cidrmatch` is `cidrMatch`)
ES_FUNCTIONS = {name.lower(): name for name in (
    "add", "between", "cidrMatch", "concat", "divide", "endsWith", "indexOf", "length", "modulo", "multiply",
    "number", "startsWith", "string", "stringContains", "substring", "subtract")}


class EqlQueryError(QuerySyntaxError):
    """An EQL query Elasticsearch would reject; line and column are 1-based within the query."""


@dataclass
class EqlQuery:
    text: str
    tree: ast.PipedQuery
    fields: set[str] = field(default_factory=set)
    optional_fields: set[str] = field(default_factory=set)
    lark_tree: object = None
    # parsed with comparisons of a field with a field (an optional field takes part): the search decides
    compares_fields: bool = False

    @property
    def sequence(self) -> ast.Sequence | None:
        return self.tree.first if isinstance(self.tree.first, ast.Sequence) else None

    @property
    def is_sample(self) -> bool:
        return isinstance(self.tree.first, ast.Sample)

    @property
    def maxspan(self) -> timedelta | None:
        seq = self.sequence
        if seq is None or seq.max_span is None:
            return None
        span = seq.max_span
        unit = span.unit.value if hasattr(span.unit, "value") else str(span.unit)
        seconds = span.quantity * _SPAN_UNITS[unit]
        if abs(seconds) > MAX_SPAN_DAYS * 86400:  # a ValueError the checks report, not an OverflowError
            raise ValueError(f"maxspan={span.quantity}{unit} is longer than {MAX_SPAN_DAYS // 365} years")
        return timedelta(seconds=seconds)

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


def _canonical_function_names(text: str):
    """The query with every function name in Elasticsearch's spelling and every plain address given to
    cidrMatch written as a one-address block (Elasticsearch takes `"::1"`, the eql package wants `"::1/128"`);
    EqlQueryError for a function Elasticsearch lacks."""
    try:
        tree = lark_parser.parse(text, start="piped_query")
    except LarkError:
        return text, None  # eql's own parse reports the syntax error with its position
    edits: list[tuple[int, int, str]] = []
    for node in tree.iter_subtrees_topdown():
        if node.data != "function_call":
            continue
        token = next(t for t in node.children if isinstance(t, Token))
        name = str(token).rstrip("~")
        canonical = ES_FUNCTIONS.get(name.lower())
        if canonical is None:
            raise EqlQueryError(f"Unknown function {name}: Elasticsearch's EQL has "
                                f"{', '.join(sorted(ES_FUNCTIONS.values()))}", token.line, token.column)
        start = token.start_pos or 0
        edits.append((start, start + len(name), canonical))
        if canonical == "cidrMatch":
            for literal in node.scan_values(lambda t: isinstance(t, Token) and t.type.endswith("STRING")):
                block = _single_address_block(str(literal)[1:-1])
                if block is not None:
                    edits.append((literal.start_pos + 1, literal.end_pos - 1, block))
    changed = [e for e in edits if text[e[0]:e[1]] != e[2]]
    for start, end, replacement in sorted(changed, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, (None if changed else tree)


@contextmanager
def _reusing(lark_tree, text: str):
    """Let the eql package use the syntax tree already parsed from this text instead of parsing it again
    (the parse is most of the cost of reading an EQL rule)."""
    if lark_tree is None:
        yield
        return
    original = eql_parser.lark_parser.parse

    def parse(source, start=None, *args, **kwargs):
        if source.rstrip("\n") == text and start == "piped_query":
            return lark_tree
        return original(source, start, *args, **kwargs)

    eql_parser.lark_parser.parse = parse
    try:
        yield
    finally:
        eql_parser.lark_parser.parse = original


_AT_NAME = re.compile(r'"""|"|\'|`|(?<![\w@.`])[A-Za-z_@][\w@]*(?:\.[A-Za-z_@][\w@]*)*')


def _quote_at_names(text: str) -> str:
    """Field names with `@` (`@timestamp`, the name Elasticsearch's EQL reads everywhere) written in backquotes,
    the only way the eql package's grammar takes them; strings and quoted names are left as they are."""
    if "@" not in text:
        return text
    out: list[str] = []
    position = 0
    while (match := _AT_NAME.search(text, position)) is not None:
        token = match.group(0)
        if token in ('"""', '"', "'", "`"):
            raw = match.start() > 0 and text[match.start() - 1] == "?"  # ?"...": no escapes
            end = _closing(text, match.end(), token, raw)
            out.append(text[position:end])
            position = end
            continue
        out.append(text[position:match.start()])
        out.append(f"`{token}`" if "@" in token else token)
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _closing(text: str, start: int, quote: str, raw: bool = False) -> int:
    """The index after the quote that closes a string or quoted name opened just before `start`."""
    index = start
    while index < len(text):
        if not raw and quote != '"""' and quote != "`" and text[index] == "\\":
            index += 2
            continue
        if text.startswith(quote, index):
            return index + len(quote)
        index += 1
    return len(text)


def _single_address_block(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return f"{value}/{address.max_prefixlen}"


def parse_eql(text: str, optional_comparisons: bool = False) -> EqlQuery:
    """Parse as Elasticsearch would (case-sensitive `==`, `?field`, `with runs=N`, `sample`, missing events
    `![...]`, function names in any case); raise EqlQueryError.

    A comparison of a field with a field is an error, except where an optional `?field` takes part: that one
    is null when the index lacks the field, and Elasticsearch then compares with null. Which it is depends on
    the index: with `optional_comparisons` (a search, which knows the index) the query is parsed and the
    compiler decides; without, it is refused (UnsupportedEql)."""
    if not isinstance(text, str):
        raise EqlQueryError(f"an EQL query is text, not {type(text).__name__}", None, None)
    optional = set(_OPTIONAL_FIELD.findall(text))
    compares_fields = False
    try:
        text, lark_tree = _canonical_function_names(_quote_at_names(text))
        tree = _parsed(text, lark_tree, elasticsearch_syntax)
    except eql.EqlError as exc:
        reason = getattr(exc, "error_msg", None) or str(exc).splitlines()[-1]
        line = exc.line + 1 if isinstance(getattr(exc, "line", None), int) else None
        column = exc.column + 1 if isinstance(getattr(exc, "column", None), int) else None
        offender = _FIELD_COMPARISON.search(reason)
        if offender is None or not optional:
            raise EqlQueryError(reason, line, column) from None
        if not optional_comparisons:
            # an optional field the index lacks is null, and Elasticsearch compares it; one it has is a field
            # compared with a field, which it rejects: which it is depends on the mapping
            raise UnsupportedEql(f"comparing fields where one may be an optional field the index lacks ({reason}; "
                                 f"line {line}, column {column})") from None
        compares_fields = True
        try:
            tree = _parsed(text, lark_tree, _WITH_FIELD_COMPARISONS)
        except eql.EqlError as again:
            reason = getattr(again, "error_msg", None) or str(again).splitlines()[-1]
            line = again.line + 1 if isinstance(getattr(again, "line", None), int) else None
            column = again.column + 1 if isinstance(getattr(again, "column", None), int) else None
            raise EqlQueryError(reason, line, column) from None
    fields: set[str] = set()
    _collect_fields(tree, set(), fields)
    query = EqlQuery(text=text, tree=tree, fields=fields, optional_fields=optional, compares_fields=compares_fields)
    query.lark_tree = lark_tree  # the syntax tree the engine reads `~` marks from, when already at hand
    return query


def _parsed(text: str, lark_tree: object, syntax: ParserConfig) -> ast.PipedQuery:
    with syntax, allow_runs, allow_negation, allow_sample, ignore_missing_fields, skip_optimizations, \
            _reusing(lark_tree, text):
        return eql.parse_query(text)
