"""The columns of an ES|QL answer: each one's name, in Elasticsearch's order, and its type, followed through the
query's commands from the index's fields (FROM) or ROW's values. Where the engine cannot say a type, None: the
values decide (searching._value_type)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import QueryError

# field types as ES|QL reports them
_ESQL_FIELD_TYPES = {"constant_keyword": "keyword", "wildcard": "keyword", "match_only_text": "text",
                     "short": "integer", "byte": "integer", "float": "double", "half_float": "double",
                     "scaled_float": "double", "flattened": "unsupported", "nested": "unsupported",
                     "geo_shape": "geo_shape", "shape": "cartesian_shape", "point": "cartesian_point"}
_NUMERIC = ("integer", "long", "unsigned_long", "double")
_RETURNS = {
    **dict.fromkeys(("CONCAT", "LEFT", "RIGHT", "LTRIM", "RTRIM", "TRIM", "REPLACE", "REVERSE", "REPEAT", "SPACE",
                     "SUBSTRING", "TO_LOWER", "TO_UPPER", "TO_STRING", "TO_BASE64", "FROM_BASE64", "URL_DECODE",
                     "URL_ENCODE", "SPLIT", "MV_CONCAT", "DATE_FORMAT", "JSON_EXTRACT", "MD5", "SHA1", "SHA256",
                     "ST_ASTEXT"), "keyword"),
    **dict.fromkeys(("LENGTH", "LOCATE", "DATE_DIFF", "MV_COUNT", "TO_INTEGER", "BIT_LENGTH", "BYTE_LENGTH"),
                    "integer"),
    **dict.fromkeys(("DATE_EXTRACT", "TO_LONG"), "long"),
    **dict.fromkeys(("TO_DOUBLE", "SQRT", "LOG10", "LOG", "POW", "PI", "E", "TAU", "SIGNUM", "MV_AVG", "SIN", "COS",
                     "TAN", "EXP", "CBRT", "ASIN", "ACOS", "ATAN", "ATAN2", "SINH", "COSH", "TANH", "HYPOT",
                     "TO_DEGREES", "TO_RADIANS", "ST_X", "ST_Y", "ST_DISTANCE"), "double"),
    **dict.fromkeys(("TO_DATETIME", "DATE_TRUNC", "DATE_PARSE", "NOW"), "date"),
    **dict.fromkeys(("TO_BOOLEAN", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CIDR_MATCH"), "boolean"),
    **dict.fromkeys(("TO_IP", "IP_PREFIX"), "ip"),
    "TO_VERSION": "version", "TO_UNSIGNED_LONG": "unsigned_long", "TO_GEOPOINT": "geo_point",
}
_SAME_AS_FIRST = {"ABS", "CEIL", "FLOOR", "ROUND", "GREATEST", "LEAST", "COALESCE", "MV_MIN", "MV_MAX",
                  "MV_FIRST", "MV_LAST", "MV_DEDUPE", "MV_SORT", "MV_SLICE", "MV_MEDIAN", "MV_INTERSECTION",
                  "MV_APPEND", "MV_SUM", "MIN", "MAX", "VALUES", "TOP", "FIRST", "LAST", "SAMPLE"}
_AGGREGATE_TYPES = {"COUNT": "long", "COUNT_DISTINCT": "long", "AVG": "double", "MEDIAN": "double",
                    "PERCENTILE": "double", "MEDIAN_ABSOLUTE_DEVIATION": "double", "STD_DEV": "double",
                    "VARIANCE": "double", "WEIGHTED_AVG": "double"}


def esql_type(kind: str | None) -> str | None:
    if kind is None:
        return None
    return _ESQL_FIELD_TYPES.get(kind, kind)


def _widest(*kinds: str | None) -> str | None:
    known = [k for k in kinds if k is not None and k != "null"]
    if not known:
        return "null" if kinds and all(k == "null" for k in kinds) else None
    if all(k in _NUMERIC for k in known):
        return max(known, key=_NUMERIC.index)
    return known[0]


class _Typer:
    """The type ES|QL gives an expression's column (None where the engine cannot say: the values decide)."""

    def __init__(self, columns: dict[str, str | None]):
        self.columns = columns

    def of(self, node: Any) -> str | None:
        from .ast import BinOp, Call, Col, Duration, FullText, InList, IsNull, Kql, Like, Lit, Not, Period

        if isinstance(node, Lit):
            value = node.value
            if value is None:
                return "null"
            if isinstance(value, bool):
                return "boolean"
            if isinstance(value, int):  # a whole-number literal takes the narrowest type that holds it
                return "integer" if -2**31 <= value < 2**31 else "long" if -2**63 <= value < 2**63 \
                    else "unsigned_long" if 0 <= value < 2**64 else "double"
            if isinstance(value, float):
                return "double"
            if isinstance(value, str):
                return "keyword"
            if isinstance(value, (list, tuple)) and value:  # a list literal: its widest item's type
                return _widest(*(self.of(Lit(item)) for item in value))
            return None
        if isinstance(node, Col):
            return self.columns.get(node.name)
        if isinstance(node, (Not, IsNull, InList, Like, FullText, Kql)):
            return "boolean"
        if isinstance(node, (Duration, Period)):
            return None
        if isinstance(node, BinOp):
            if node.op in ("and", "or", "==", "!=", "<", "<=", ">", ">=", "=~"):
                return "boolean"
            left, right = self.of(node.left), self.of(node.right)
            spans = _spanned(node.left), _spanned(node.right)
            if any(spans) and not all(spans):  # a date moved by a span, "2024-01-01" + 1 day too (a date literal)
                return "date_nanos" if "date_nanos" in (left, right) else "date"
            if "date" in (left, right):
                return "date"
            return _widest(left, right)
        if isinstance(node, Call):
            name = node.name.upper()
            first = self.of(node.args[0]) if node.args else None
            if name == "CASE":
                values = [self.of(a) for a in node.args[1::2]] + ([self.of(node.args[-1])] if len(node.args) % 2
                                                                   else [])
                kind = _widest(*values)
                return "keyword" if kind == "text" else kind  # CASE answers text as keyword
            if name == "DATE_TRUNC" and len(node.args) == 2 and self.of(node.args[1]) == "date_nanos":
                return "date_nanos"  # truncated, still nanoseconds
            if name == "ROUND_TO":  # the widest of the value and its points (a date rounds to dates)
                return _widest(*(self.of(a) for a in node.args))
            if name == "BUCKET":
                return "date" if first in ("date", "date_nanos") else "double"
            if name in _SAME_AS_FIRST:
                if name in ("GREATEST", "LEAST", "COALESCE", "MV_APPEND"):
                    return _widest(*(self.of(a) for a in node.args))
                if name in ("MV_MEDIAN",) and first == "integer":
                    return "integer"
                return "keyword" if first == "text" and name not in ("VALUES", "MIN", "MAX", "TOP") else first
            return _RETURNS.get(name)
        return None

    def aggregate(self, function: str, argument: Any) -> str | None:
        name = function.split(":", 1)[0].upper()
        if name in _AGGREGATE_TYPES:
            return _AGGREGATE_TYPES[name]
        kind = self.of(argument) if argument is not None else None
        if name == "SUM":
            return "long" if kind in ("integer", "long") else "double" if kind in ("double", "null") else kind
        return kind


def _calls(node: Any, name: str) -> bool:
    """Whether the expression (or command) calls the function `name` anywhere."""
    import dataclasses

    from .ast import Call

    if isinstance(node, Call) and node.name.upper() == name:
        return True
    if isinstance(node, (list, tuple)):
        return any(_calls(item, name) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_calls(getattr(node, f.name), name) for f in dataclasses.fields(node))
    return False


def _names_read(node: Any) -> set[str]:
    """The columns an expression (or command) reads: its fields and full-text matches' fields (not KQL()'s,
    which Elasticsearch looks up in the mapping itself)."""
    from .ast import Col, FullText, nodes

    return {n.name if isinstance(n, Col) else n.field for n in nodes(node) if isinstance(n, (Col, FullText))}


def referenced(query: Any) -> set[str]:
    """Every name the query reads anywhere (some may be columns an earlier command made)."""
    from .ast import Keep, MvExpand, Project, Rename, Sort

    names: set[str] = set()
    for command in query.commands:
        if isinstance(command, Sort):
            names |= {name for name, _, _ in command.keys}
        elif isinstance(command, MvExpand):
            names.add(command.name)
        elif isinstance(command, Keep):
            names |= {name for name in command.names if "*" not in name}
        elif isinstance(command, Rename):
            names |= {old for old, _ in command.pairs}
        elif not isinstance(command, Project):
            names |= _names_read(command)
    return names


def typed_steps(query: Any, resolve: Callable[[str], str | None]) -> dict[int, Callable[[str], str | None]]:
    """For each command (by id), the type of a column where it runs: the columns earlier commands made, typed
    as ES|QL types them, else the field's mapped type (`resolve`). Lenient: names no command or field has are
    left to result_columns to report."""
    start = {name: esql_type(resolve(name)) for name in sorted(referenced(query) | set(query.fields))}
    steps: dict[int, dict[str, str | None]] = {}
    result_columns(query, start, strict=False, steps=steps)

    def lookup(columns: dict[str, str | None]) -> Callable[[str], str | None]:
        return lambda name: columns.get(name) or esql_type(resolve(name))

    return {key: lookup(columns) for key, columns in steps.items()}


def result_columns(query: Any, start: dict[str, str | None], strict: bool = True,
                   steps: dict[int, dict[str, str | None]] | None = None) -> dict[str, str | None]:
    """The result's columns, in Elasticsearch's order, each with its type, following the commands (strict: a
    column no command or field has is Elasticsearch's `Unknown column`). `steps` collects, by the id of each
    command, the columns it sees."""
    from .ast import (Dissect, Drop, Eval, Grok, InlineStats, Keep, Limit, MvExpand, Project, Rename, Sort,
                           Stats, Where)
    from .evaluate import _drop, _keep, _rename

    def known(names: Iterable[str], visible: Iterable[str] = ()) -> None:
        if not strict:
            return
        seen = set(columns) | set(visible)
        for name in names:
            if name not in seen:
                raise QueryError(f"Unknown column [{name}]")

    columns = dict(start)
    for command in query.commands:
        if steps is not None:
            steps[id(command)] = dict(columns)
        typer = _Typer(columns)
        if strict and isinstance(command, (Where, Eval)) and _calls(command, "BUCKET"):
            raise QueryError("cannot use grouping function BUCKET() outside of a STATS command")
        if isinstance(command, (Where, Dissect, Grok)):
            known(sorted(_names_read(command)))
        elif isinstance(command, Sort):
            known(name for name, _, _ in command.keys)
        elif isinstance(command, MvExpand):
            known([command.name])
        elif isinstance(command, (Stats, InlineStats)):
            known(sorted(_names_read(command.by)))
            known(sorted(_names_read(command.aggregates)), [name for name, _ in command.by])
        if isinstance(command, (Where, Sort, Limit, MvExpand)):
            continue
        if isinstance(command, Eval):
            for name, expr in command.assignments:
                known(sorted(_names_read(expr)))
                kind = _Typer(columns).of(expr)
                columns.pop(name, None)
                columns[name] = kind
        elif isinstance(command, Stats):
            for name, func, arg in command.aggregates:
                if func == "SUM" and arg is not None and typer.of(arg) == "null":
                    from ..errors import UnsupportedQueryError

                    raise UnsupportedQueryError(
                        "SUM of null: Elasticsearch 8.19 answers it inconsistently (a double column whose "
                        "arithmetic is long, `SUM(null) | EVAL r = s + 1`; an internal error over an EVAL'd null)")
                if strict and func.startswith("TOP:") and typer.of(arg) in ("version", "unsigned_long"):
                    raise QueryError(f"first argument of TOP() must be boolean, date, ip, string or numeric except "
                                     f"unsigned_long, found type [{typer.of(arg)}]")
            # an aggregate may read BY's aliases (MAX(a) ... BY a = languages + emp_no): typed as BY types them
            grouped = _Typer({**columns, **{name: typer.of(expr) for name, expr in command.by}})
            out = {name: grouped.aggregate(func, arg) for name, func, arg in command.aggregates}
            for name, expr in command.by:
                out.pop(name, None)
                out[name] = typer.of(expr)
            columns = out
        elif isinstance(command, InlineStats):
            added = {name: typer.aggregate(func, arg) for name, func, arg in command.aggregates}
            groups = {name: typer.of(expr) for name, expr in command.by}
            columns = {**{k: v for k, v in columns.items() if k not in added and k not in groups}, **added, **groups}
        elif isinstance(command, Keep):
            known(name for name in command.names if "*" not in name)
            columns = _keep(command.names)(columns)
        elif isinstance(command, Drop):
            columns = _drop(command.names)(columns)
        elif isinstance(command, Rename):
            for pair in command.pairs:  # in turn: a pair may rename what an earlier one named (a AS c, c AS d)
                known([pair[0]])
                columns = _rename((pair,))(columns)
        elif isinstance(command, Project):
            columns = {name: columns.get(name) for name in command.names}
        elif isinstance(command, Dissect):
            from .text_commands import dissect_keys

            for name in dissect_keys(command.pattern):
                columns.pop(name, None)
                columns[name] = "keyword"
        elif isinstance(command, Grok):
            from .text_commands import grok_names

            types = dict(re.findall(r"%\{\w+:([\w.@\[\]]+):(int|long|float|double|boolean)\}", command.pattern))
            for name in grok_names(command.pattern):
                columns.pop(name, None)
                columns[name] = {"int": "integer", "float": "double"}.get(types.get(name, ""),
                                                                         types.get(name) or "keyword")
    return columns


def _spanned(node: Any) -> bool:
    """Whether an expression is a time span (`1 day`, `-(1 year + 2 months)`), which has no column type."""
    from .ast import BinOp, Duration, Lit, Period

    if isinstance(node, Lit):
        return isinstance(node.value, (Duration, Period))
    if isinstance(node, BinOp) and node.op == "*":  # -x is parsed as -1 * x
        return _spanned(node.left) or _spanned(node.right)
    return isinstance(node, BinOp) and node.op in ("+", "-") and _spanned(node.left) and _spanned(node.right)
