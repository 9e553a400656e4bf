"""ES|QL evaluated with ES|QL's semantics: null propagates through comparisons and functions, WHERE keeps rows
whose condition is true, multi-valued fields read as null in single-value positions (MV_ functions and
MV_EXPAND see all their values), dates compare and move as epoch milliseconds."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from typing import Any

from .ast import (BinOp, Call, Col, Dissect, Drop, Duration, Eval, Grok, InlineStats, InList, IsNull, Keep, Kql, Like,
                  Limit, Lit, MvExpand, Not, Rename, Sort, Stats, Where)
from ..glob import glob
from .functions import MULTI, SCALAR, to_millis
from .parser import PAIR
from .text_commands import dissect, grok

Row = dict
Expr = Callable[[Row], Any]
Clock = Callable[[], float]  # epoch seconds: `NOW()` of the run evaluating the query
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _scalar(value: Any) -> Any:
    return None if value.__class__ is list or value.__class__ is dict else value


def _column(value: Any) -> Any:
    """A column's value with all its values (aggregates and BY see each one); an object is no value."""
    if value.__class__ is dict:
        return None
    if value.__class__ is list:
        kept = [v for v in value if v is not None and v.__class__ is not dict and v.__class__ is not list]
        return kept if len(kept) > 1 else (kept[0] if kept else None)
    return value


def _wildcard_regex(pattern: str) -> str:
    """LIKE: * any run, ? one character, a backslash escapes the next one."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


def _lucene_regex(pattern: str) -> str:
    """RLIKE takes Lucene's regular expression syntax, always anchored. The operators both have are kept, with
    the \\d \\s \\w classes; any other escaped character and quoted strings are literals; Lucene's optional
    operators (@ & ~ <n-m> #) and Java's (?...) groups, which Lucene does not have, are refused by name."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            following = pattern[i + 1]
            out.append("\\" + following if following in "dDsSwW" else re.escape(following))
            i += 2
        elif ch == '"':
            end = pattern.find('"', i + 1)
            if end < 0:
                raise ValueError(f"RLIKE pattern {pattern!r}: unterminated quoted string")
            out.append(re.escape(pattern[i + 1:end]))
            i = end + 1
        elif ch == "[":
            end = i + 2 if pattern[i + 1:i + 2] in ("]", "^") else i + 1
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            if end >= len(pattern):
                raise ValueError(f"RLIKE pattern {pattern!r}: unterminated character class")
            body = pattern[i + 1:end].replace("[", "\\[")  # a [ inside a class is a character in Lucene
            out.append(f"[{body}]")
            i = end + 1
        elif ch == "(" and pattern[i + 1:i + 2] == "?":
            raise ValueError(f"RLIKE {pattern!r}: Lucene regular expressions have no (?...) groups")
        elif ch in "@&~<#":
            raise ValueError(f"the local engine does not run Lucene's optional regex operator {ch!r} (RLIKE "
                             f"{pattern!r})")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _json_text(value: Any) -> Any:
    """JSON_EXTRACT's answer: text as it is, any other JSON value as its JSON text, a missing path null."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _date_key(value: Any) -> Any:
    """A sort value for FIRST/LAST: dates as epoch milliseconds, anything else as it is."""
    if value.__class__ is str and _DATE.match(value):
        return to_millis(value)
    return value


def _date_aware(a: Any, b: Any) -> tuple[Any, Any]:
    """A date string against a number (NOW(), date arithmetic) compares as epoch milliseconds."""
    if a.__class__ is str and isinstance(b, (int, float)) and not isinstance(b, bool) and _DATE.match(a):
        return to_millis(a), b
    if b.__class__ is str and isinstance(a, (int, float)) and not isinstance(a, bool) and _DATE.match(b):
        return a, to_millis(b)
    return a, b


def _arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, Duration) or isinstance(b, Duration):
        span_a = a.millis if isinstance(a, Duration) else None
        span_b = b.millis if isinstance(b, Duration) else None
        if span_a is not None and span_b is not None:
            return Duration(span_a + span_b if op == "+" else span_a - span_b)
        date = to_millis(a if span_a is None else b)
        span = span_b if span_b is not None else span_a
        if date is None or span is None or (op == "-" and span_a is not None):
            return None
        return date + span if op == "+" else date - span
    if op == "/":
        if not b:
            return None
        return int(a / b) if isinstance(a, int) and isinstance(b, int) else a / b  # integer division truncates
    if op == "%":
        if not b:
            return None
        result = math.fmod(a, b)  # Java's %: the sign of the dividend
        return int(result) if isinstance(a, int) and isinstance(b, int) else result
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    return a * b


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class Compiler:
    """Expressions to functions of a row. `clock` gives NOW()."""

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or time.time

    def expr(self, node: Any) -> Expr:
        if isinstance(node, Lit):
            value = node.value
            return lambda row: value
        if isinstance(node, Col):
            name = node.name
            return lambda row: _scalar(row.get(name))
        if isinstance(node, Not):
            inner = self.expr(node.term)
            return lambda row: None if (v := inner(row)) is None else not v
        if isinstance(node, IsNull):
            inner, negated = self.expr(node.term), node.negated
            return lambda row: (inner(row) is None) is not negated
        if isinstance(node, InList):
            return self._in_list(node)
        if isinstance(node, Like):
            return self._like(node)
        if isinstance(node, Kql):
            from ..kql import compile_kql, parse_kql

            predicate = compile_kql(parse_kql(node.query), now=self.clock)
            return lambda row: predicate(row)
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, Call):
            return self._call(node)
        raise TypeError(f"unexpected ES|QL node {node!r}")

    def _in_list(self, node: InList) -> Expr:
        if isinstance(node.term, Col) and all(isinstance(i, Lit) for i in node.items):
            # the common case: a field against literal values, as a set lookup
            name, negated = node.term.name, node.negated
            members = frozenset(i.value for i in node.items if i.value is not None)
            has_null = len(members) < len(node.items)

            def in_literals(row: Row) -> Any:
                value = _scalar(row.get(name))
                if value is None:
                    return None
                if value in members:
                    return not negated
                return None if has_null else negated  # x IN (1, null): unknown unless x is 1

            return in_literals
        inner, items, negated = self.expr(node.term), [self.expr(i) for i in node.items], node.negated

        def in_list(row: Row) -> Any:
            value = inner(row)
            if value is None:
                return None
            candidates = [item(row) for item in items]
            if any(value == c for c in candidates if c is not None):
                return not negated
            return None if None in candidates else negated

        return in_list

    def _like(self, node: Like) -> Expr:
        inner = self.expr(node.term)
        try:
            if node.regex:
                matchers: list = [re.compile("|".join(f"(?:{_lucene_regex(p)})" for p in node.patterns), re.DOTALL)]
            else:  # LIKE: wildcards, matched without backtracking
                matchers = [glob(p, escapes=True) for p in node.patterns]
        except re.error as exc:
            raise ValueError(f"{'RLIKE' if node.regex else 'LIKE'} {' / '.join(node.patterns)!r}: the local engine "
                             f"cannot read this pattern ({exc})") from None
        negated = node.negated

        def like(row: Row) -> Any:
            value = inner(row)
            if value is None:
                return None
            text = str(value)
            return any(m.fullmatch(text) is not None for m in matchers) is not negated

        return like

    def _binop(self, node: BinOp) -> Expr:
        if node.op in ("==", "!=") and isinstance(node.left, Col) and isinstance(node.right, Lit) \
                and isinstance(node.right.value, str):
            name, value, equal = node.left.name, node.right.value, node.op == "=="

            def field_equals(row: Row) -> Any:
                current = _scalar(row.get(name))
                if current is None:
                    return None
                return (current == value) is equal

            return field_equals
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        if op == "and":
            def conj(row: Row) -> Any:
                a = left(row)
                if a is False:
                    return False
                b = right(row)
                if b is False:
                    return False
                return None if a is None or b is None else True

            return conj
        if op == "or":
            def disj(row: Row) -> Any:
                a = left(row)
                if a is True:
                    return True
                b = right(row)
                if b is True:
                    return True
                return None if a is None or b is None else False

            return disj
        compare = _COMPARE.get(op)

        def binary(row: Row) -> Any:
            a, b = left(row), right(row)
            if a is None or b is None:
                return None
            try:
                if compare is not None:
                    return compare(*_date_aware(a, b))
                return _arith(op, a, b)
            except TypeError:
                return None

        return binary

    def _call(self, node: Call) -> Expr:
        name = node.name
        if name == "NOW":
            clock = self.clock
            return lambda row: int(clock() * 1000)
        if name in MULTI:
            return self._multi(node)
        if name == "JSON_EXTRACT" and len(node.args) == 2 and node.args[0] == Col("_source"):
            path = self.expr(node.args[1])
            return lambda row: _json_text(row.get(p)) if isinstance(p := path(row), str) else None
        args = [self.expr(a) for a in node.args]
        if name == "COALESCE":
            return lambda row: next((v for a in args if (v := a(row)) is not None), None)
        if name == PAIR:  # FIRST/LAST's (value, sort): nothing when either is missing
            value, order = args
            return lambda row: None if (v := value(row)) is None or (o := order(row)) is None else (v, _date_key(o))
        if name == "CASE":
            def case(row: Row) -> Any:
                for index in range(0, len(args) - 1, 2):
                    if args[index](row) is True:
                        return args[index + 1](row)
                return args[-1](row) if len(args) % 2 else None

            return case
        function = SCALAR.get(name)
        if function is None:
            raise ValueError(f"the local engine does not run the ES|QL function {name}()")

        def call(row: Row) -> Any:
            values = [a(row) for a in args]
            if any(v is None for v in values):
                return None
            try:
                return function(*values)
            except (ValueError, TypeError, ArithmeticError, re.error):
                return None  # ES|QL answers null (with a warning) where a value does not convert

        return call

    def _multi(self, node: Call) -> Expr:
        function = MULTI[node.name]
        first = node.args[0]
        source = (lambda row: row.get(first.name)) if isinstance(first, Col) else self.expr(first)
        rest = [self.expr(a) for a in node.args[1:]]

        def multi(row: Row) -> Any:
            value = source(row)
            if value is None:
                return None
            values = [v for v in (value if isinstance(value, list) else [value]) if v is not None]
            if not values:
                return None
            try:
                return function(values, *[a(row) for a in rest])
            except (ValueError, TypeError):
                return None

        return multi


def compile_expr(node: Any, clock: Clock | None = None) -> Expr:
    return Compiler(clock).expr(node)


def _matches(patterns: tuple, name: str) -> bool:
    return any(p == name or ("*" in p and re.fullmatch(_wildcard_regex(p), name)) for p in patterns)


def _keep(names: tuple) -> Callable[[Row], Row]:
    def keep(row: Row) -> Row:
        out = {}
        for pattern in names:  # columns in the order KEEP names them
            for column, value in row.items():
                if column not in out and _matches((pattern,), column):
                    out[column] = value
        return out

    return keep


def _drop(names: tuple) -> Callable[[Row], Row]:
    return lambda row: {k: v for k, v in row.items() if not _matches(names, k)}


def _rename(pairs: tuple) -> Callable[[Row], Row]:
    def rename(row: Row) -> Row:
        out = dict(row)
        for old, new in pairs:
            if old in out:
                out[new] = out.pop(old)
        return out

    return rename


class CompiledEsql:
    """Row-local commands run as events arrive; STATS and what follows run once per rule execution."""

    def __init__(self, query: Any, clock: Clock | None = None):
        self.query = query
        self.compiler = Compiler(clock)
        commands = query.commands
        self.stats: Stats | None = None
        self.after: list = []
        self.after_steps: list = []
        self.row_after: list = []
        self.table_after: list = []
        inline = next((i for i, c in enumerate(commands) if isinstance(c, InlineStats)), None)
        split = next((i for i, c in enumerate(commands) if isinstance(c, Stats)), len(commands))
        # INLINE STATS needs every row of a run's window: from it on, the query runs on the whole table
        self.table_mode = inline is not None and inline < split
        if self.table_mode:
            assert inline is not None
            self.table_steps = [self._table_step(c) for c in commands[inline:]]
            self.aggregating = split < len(commands)
            self.final_by = tuple(name for name, _ in commands[split].by) if self.aggregating else ()
            split = inline
        self.before = [self._row_step(c) for c in commands[:split]]
        self.expands = any(isinstance(c, MvExpand) for c in commands[:split])
        if self.table_mode:
            return
        self.stats = commands[split] if split < len(commands) else None
        self.after = commands[split + 1:] if self.stats else []
        if self.stats:
            self.group_exprs = [self._all_values(e) for _, e in self.stats.by]
            self.agg_exprs = [self._all_values(a) if a is not None else None for _, _, a in self.stats.aggregates]
        self.after_steps = [self._table_step(c) for c in self.after]
        # WHERE and EVAL right after STATS work row by row: their result per group can be cached
        row_local = 0
        while row_local < len(self.after) and isinstance(self.after[row_local], (Where, Eval)):
            row_local += 1
        self.row_after = [self._row_step(c) for c in self.after[:row_local]]
        self.table_after = self.after_steps[row_local:]

    def _row_step(self, command: Any) -> Callable[[Row], Any]:
        """One row in, the row out (None: dropped); MV_EXPAND gives a list of rows."""
        if isinstance(command, Where):
            condition = self.compiler.expr(command.condition)
            return lambda row: row if condition(row) is True else None
        if isinstance(command, Eval):
            assignments = [(name, self.compiler.expr(expr)) for name, expr in command.assignments]

            def evaluate(row: Row) -> Row:
                row = dict(row)
                for name, expr in assignments:
                    row[name] = expr(row)
                return row

            return evaluate
        if isinstance(command, Keep):
            return _keep(command.names)
        if isinstance(command, Drop):
            return _drop(command.names)
        if isinstance(command, Rename):
            return _rename(command.pairs)
        if isinstance(command, MvExpand):
            name = command.name

            def expand(row: Row) -> list[Row]:
                value = row.get(name)
                if not isinstance(value, list):
                    return [row]
                return [{**row, name: item} for item in value] or [{**row, name: None}]

            return expand
        if isinstance(command, (Dissect, Grok)):
            source = self.compiler.expr(command.source)
            parse = (dissect(command.pattern, command.separator) if isinstance(command, Dissect)
                     else grok(command.pattern))

            def extract(row: Row) -> Row:
                text = source(row)
                found = parse(str(text)) if text is not None else None
                return {**row, **found} if found else row

            return extract
        if isinstance(command, (Sort, Limit)):
            raise ValueError(f"the local engine runs {type(command).__name__.upper()} only after STATS")
        raise TypeError(command)

    def run_table(self, rows: list[Row]) -> list[Row]:
        """Table mode (INLINE STATS): the rest of the query over all of a run's rows."""
        for step in self.table_steps:
            rows = step(rows)
        return rows

    def rows(self, fields: dict) -> list[Row]:
        """The rows an event gives after the row-local commands (none when a WHERE drops it; several after
        MV_EXPAND of a multi-valued field)."""
        if not self.expands:
            row = self.row(fields)
            return [] if row is None else [row]
        current: list[Row] = [fields]
        for step in self.before:
            following: list[Row] = []
            for row in current:
                result = step(row)
                if isinstance(result, list):
                    following += result
                elif result is not None:
                    following.append(result)
            current = following
        return current

    def row(self, fields: dict) -> Row | None:
        """The event after the row-local commands, or None when a WHERE drops it (queries without MV_EXPAND)."""
        row = fields
        for step in self.before:
            row = step(row)
            if row is None:
                return None
        return row

    def _all_values(self, node: Any) -> Expr:
        """BY and aggregate arguments: a column gives all its values (a list when multi-valued)."""
        if isinstance(node, Col):
            name = node.name
            return lambda row: _column(row.get(name))
        expr = self.compiler.expr(node)
        return lambda row: _column(expr(row))

    def compact(self, row: dict) -> list[tuple[tuple, tuple]]:
        """What STATS needs of a row: (group key, aggregated values), one per group the row falls in (a
        multi-valued BY puts the row in the group of each of its values)."""
        values = tuple(a(row) if a else 1 for a in self.agg_exprs)
        return [(key, values) for key in _keys([g(row) for g in self.group_exprs])]

    def after_row(self, row: dict) -> dict | None:
        """The row-local commands after STATS (WHERE, EVAL) on one result row."""
        for step in self.row_after:
            row = step(row)
            if row is None:
                return None
        return row

    def after_table(self, rows: list[dict]) -> list[dict]:
        """The table commands after those (KEEP, SORT, LIMIT, and anything after them)."""
        for step in self.table_after:
            rows = step(rows)
        return rows

    def aggregate(self, compacts: Any) -> list[dict]:
        """STATS from scratch over compacted rows (the sliding window keeps it incrementally instead)."""
        assert self.stats is not None
        rows = _aggregate(self.stats, compacts)
        for step in self.after_steps:
            rows = step(rows)
        return rows

    def _inline_stats(self, command: InlineStats) -> Callable[[list[Row]], list[Row]]:
        groups = [self._all_values(e) for _, e in command.by]
        values = [self._all_values(a) if a is not None else None for _, _, a in command.aggregates]
        stats = Stats(command.aggregates, command.by)
        names = [name for name, _, _ in command.aggregates]

        def inline(rows: list[Row]) -> list[Row]:
            keyed = [(row, _keys([g(row) for g in groups])) for row in rows]
            compacts = [(key, tuple(v(row) if v else 1 for v in values)) for row, keys in keyed for key in keys]
            results = {tuple(r.get(n) for n, _ in command.by): r for r in _aggregate(stats, compacts)}
            out = []
            for row, keys in keyed:
                for key in keys:  # a multi-valued BY: the row once per value, as STATS would count it
                    found = results.get(key, {})
                    out.append({**row, **dict(zip((n for n, _ in command.by), key)),
                                **{name: found.get(name) for name in names}})
            return out

        return inline

    def _table_step(self, command: Any) -> Callable[[list[Row]], list[Row]]:
        if isinstance(command, Where):
            condition = self.compiler.expr(command.condition)
            return lambda rows: [r for r in rows if condition(r) is True]
        if isinstance(command, Sort):
            def sort(rows: list[Row]) -> list[Row]:
                for name, descending, nulls_first in reversed(command.keys):
                    # ES|QL: nulls last ascending, first descending, unless NULLS FIRST/LAST says otherwise
                    first = descending if nulls_first is None else nulls_first
                    present = sorted((r for r in rows if r.get(name) is not None),
                                     key=lambda r: order_key(r[name]), reverse=descending)
                    missing = [r for r in rows if r.get(name) is None]
                    rows = missing + present if first else present + missing
                return rows

            return sort
        if isinstance(command, Limit):
            return lambda rows: rows[: command.count]
        if isinstance(command, InlineStats):
            return self._inline_stats(command)
        if isinstance(command, Stats):  # a STATS over the result of an earlier one
            groups = [self._all_values(e) for _, e in command.by]
            values = [self._all_values(a) if a is not None else None for _, _, a in command.aggregates]

            def restats(rows: list[Row]) -> list[Row]:
                return _aggregate(command, [(key, tuple(v(r) if v else 1 for v in values))
                                            for r in rows for key in _keys([g(r) for g in groups])])

            return restats
        step = self._row_step(command)
        if isinstance(command, MvExpand):
            return lambda rows: [out for r in rows for out in step(r)]
        return lambda rows: [out for r in rows if (out := step(r)) is not None]


def _keys(parts: list) -> list[tuple]:
    keys: list[tuple] = [()]
    for part in parts:
        options = list(dict.fromkeys(part)) if isinstance(part, list) else [part]
        keys = [key + (option,) for key in keys for option in options]
    return keys


def _aggregate(stats: Stats, compacts: Any) -> list[Row]:
    """STATS over (group key, aggregated values) pairs: one row per group; multi-valued input counts each value."""
    groups: dict[tuple, list[list]] = {}
    for key, values in compacts:
        bucket = groups.setdefault(key, [[] for _ in stats.aggregates])
        for column, value in zip(bucket, values):
            if isinstance(value, list):
                column.extend(value)
            else:
                column.append(value)
    rows = []
    for key, columns in groups.items():
        row = {name: value for (name, _), value in zip(stats.by, key)}
        for (name, func, arg), column in zip(stats.aggregates, columns):
            present = [v for v in column if v is not None]
            row[name] = aggregate_values(func, column if arg is None else present)
        rows.append(row)
    return rows


def _numbers(values: list) -> list:
    """SUM and AVG take numeric columns; a value of another type (untyped local data) is left out."""
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def order_key(value: Any) -> tuple:
    """MIN, MAX, SORT: values of one column are of one type in Elasticsearch; locally, numbers before text."""
    return (0, value, "") if isinstance(value, (int, float)) and not isinstance(value, bool) else (1, 0, str(value))


def top(values: list, func: str) -> Any:
    """TOP(field, n, order): the n largest or smallest values, repeats included."""
    _, limit, order = func.split(":")
    chosen = sorted(values, key=order_key, reverse=order == "desc")[: int(limit)]
    return None if not chosen else chosen[0] if len(chosen) == 1 else chosen


def aggregate_values(func: str, values: list) -> Any:
    return top(values, func) if func.startswith("TOP:") else _AGGREGATES[func](values)


_AGGREGATES = {
    "COUNT": len,
    "SUM": lambda vs: sum(ns) if (ns := _numbers(vs)) else None,
    "MIN": lambda vs: min(vs, key=order_key) if vs else None,
    "MAX": lambda vs: max(vs, key=order_key) if vs else None,
    "AVG": lambda vs: sum(ns) / len(ns) if (ns := _numbers(vs)) else None,
    "COUNT_DISTINCT": lambda vs: len(set(vs)),
    "VALUES": lambda vs: sorted(set(vs), key=str),
    "FIRST": lambda vs: min(vs, key=lambda pair: order_key(pair[1]))[0] if vs else None,
    "LAST": lambda vs: max(vs, key=lambda pair: order_key(pair[1]))[0] if vs else None,
}
