"""The ES|QL subset evaluated with ES|QL's semantics: null propagates through comparisons and functions,
WHERE keeps rows whose condition is true, multi-valued fields read as null in single-value positions."""

from __future__ import annotations

import re
from collections.abc import Callable

from .parser import BinOp, Call, Col, Eval, InList, IsNull, Keep, Like, Limit, Lit, Not, Sort, Stats, Where

Row = dict


def _scalar(value):
    return None if isinstance(value, list) else value


def compile_expr(node) -> Callable[[Row], object]:
    if isinstance(node, Lit):
        value = node.value
        return lambda row: value
    if isinstance(node, Col):
        name = node.name
        return lambda row: _scalar(row.get(name))
    if isinstance(node, Not):
        inner = compile_expr(node.term)
        return lambda row: None if (v := inner(row)) is None else not v
    if isinstance(node, IsNull):
        inner, negated = compile_expr(node.term), node.negated
        return lambda row: (inner(row) is None) is not negated
    if isinstance(node, InList):
        if isinstance(node.term, Col) and all(isinstance(i, Lit) for i in node.items):
            # the common case: a field against literal values, as a set lookup
            name, members, negated = node.term.name, frozenset(i.value for i in node.items), node.negated

            def in_literals(row):
                value = row.get(name)
                if value is None or value.__class__ is list:
                    return None
                return (value in members) is not negated

            return in_literals
        inner, items, negated = compile_expr(node.term), [compile_expr(i) for i in node.items], node.negated

        def in_list(row):
            value = inner(row)
            if value is None:
                return None
            found = any(value == item(row) for item in items)
            return found is not negated

        return in_list
    if isinstance(node, Like):
        inner = compile_expr(node.term)
        regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in node.pattern),
                           re.DOTALL)
        negated = node.negated

        def like(row):
            value = inner(row)
            if value is None:
                return None
            return (regex.fullmatch(str(value)) is not None) is not negated

        return like
    if isinstance(node, BinOp):
        return _binop(node)
    if isinstance(node, Call):
        return _call(node)
    raise TypeError(f"unexpected ES|QL node {node!r}")


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "+": lambda a, b: a + b, "-": lambda a, b: a - b,
    "*": lambda a, b: a * b, "/": lambda a, b: a / b if b else None,
}


def _binop(node: BinOp):
    if node.op in ("==", "!=") and isinstance(node.left, Col) and isinstance(node.right, Lit) \
            and node.right.value is not None:
        name, value, equal = node.left.name, node.right.value, node.op == "=="

        def field_equals(row):
            current = row.get(name)
            if current is None or current.__class__ is list:
                return None
            return (current == value) is equal

        return field_equals
    left, right, op = compile_expr(node.left), compile_expr(node.right), node.op
    if op == "and":
        def conj(row):
            a = left(row)
            if a is False:
                return False
            b = right(row)
            if b is False:
                return False
            return None if a is None or b is None else True

        return conj
    if op == "or":
        def disj(row):
            a = left(row)
            if a is True:
                return True
            b = right(row)
            if b is True:
                return True
            return None if a is None or b is None else False

        return disj
    function = _COMPARE[op]

    def binary(row):
        a, b = left(row), right(row)
        if a is None or b is None:
            return None
        try:
            return function(a, b)
        except TypeError:
            return None

    return binary


def _call(node: Call):
    args = [compile_expr(a) for a in node.args]
    name = node.name
    if name == "COALESCE":
        return lambda row: next((v for a in args if (v := a(row)) is not None), None)
    if name in ("TO_LOWER", "TO_UPPER", "LENGTH"):
        convert: Callable[[str], object] = {"TO_LOWER": str.lower, "TO_UPPER": str.upper, "LENGTH": len}[name]
        return lambda row: None if (v := args[0](row)) is None else convert(str(v))
    if name == "CONCAT":
        def concat(row):
            parts = [a(row) for a in args]
            return None if any(p is None for p in parts) else "".join(str(p) for p in parts)

        return concat
    if name in ("STARTS_WITH", "ENDS_WITH"):
        test: Callable[[str, str], bool] = str.startswith if name == "STARTS_WITH" else str.endswith
        return lambda row: None if (s := args[0](row)) is None or (p := args[1](row)) is None else test(str(s), str(p))
    if name == "CASE":
        def case(row):
            for index in range(0, len(args) - 1, 2):
                if args[index](row) is True:
                    return args[index + 1](row)
            return args[-1](row) if len(args) % 2 else None

        return case
    raise ValueError(f"the local engine does not run the ES|QL function {name}()")


class CompiledEsql:
    """Row-local commands run as events arrive; STATS and what follows run once per rule execution."""

    def __init__(self, query):
        self.query = query
        commands = query.commands
        split = next((i for i, c in enumerate(commands) if isinstance(c, Stats)), len(commands))
        self.before = [self._row_step(c) for c in commands[:split]]
        self.stats: Stats | None = commands[split] if split < len(commands) else None
        self.after = commands[split + 1:] if self.stats else []
        if self.stats:
            self.group_exprs = [compile_expr(e) for _, e in self.stats.by]
            self.agg_exprs = [compile_expr(a) if a is not None else None for _, _, a in self.stats.aggregates]
        self.after_steps = [self._table_step(c) for c in self.after]
        # WHERE and EVAL right after STATS work row by row: their result per group can be cached
        row_local = 0
        while row_local < len(self.after) and isinstance(self.after[row_local], (Where, Eval)):
            row_local += 1
        self.row_after = [self._row_step(c) for c in self.after[:row_local]]
        self.table_after = self.after_steps[row_local:]

    def _row_step(self, command):
        if isinstance(command, Where):
            condition = compile_expr(command.condition)
            return lambda row: row if condition(row) is True else None
        if isinstance(command, Eval):
            assignments = [(name, compile_expr(expr)) for name, expr in command.assignments]

            def evaluate(row):
                row = dict(row)
                for name, expr in assignments:
                    row[name] = expr(row)
                return row

            return evaluate
        if isinstance(command, (Keep, Sort, Limit)):
            raise ValueError(f"the local engine runs {type(command).__name__.upper()} only after STATS")
        raise TypeError(command)

    def row(self, fields: dict):
        """The event after the row-local commands, or None when a WHERE drops it."""
        row = fields
        for step in self.before:
            row = step(row)
            if row is None:
                return None
        return row

    def compact(self, row: dict):
        """What STATS needs of a row: its group key and the aggregated values."""
        return tuple(g(row) for g in self.group_exprs), tuple(a(row) if a else 1 for a in self.agg_exprs)

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

    def aggregate(self, compacts) -> list[dict]:
        """STATS from scratch over compacted rows (the sliding window keeps it incrementally instead)."""
        groups: dict[tuple, list[list]] = {}
        for key, values in compacts:
            bucket = groups.setdefault(key, [[] for _ in self.agg_exprs])
            for column, value in zip(bucket, values):
                column.append(value)
        rows = []
        stats = self.stats
        assert stats is not None
        for key, columns in groups.items():
            row = {name: value for (name, _), value in zip(stats.by, key)}
            for (name, func, arg), column in zip(stats.aggregates, columns):
                present = [v for v in column if v is not None]
                row[name] = _AGGREGATES[func](column if arg is None else present)
            rows.append(row)
        for step in self.after_steps:
            rows = step(rows)
        return rows

    def _table_step(self, command):
        if isinstance(command, Where):
            condition = compile_expr(command.condition)
            return lambda rows: [r for r in rows if condition(r) is True]
        if isinstance(command, Eval):
            row_step = self._row_step(command)
            return lambda rows: [row_step(r) for r in rows]
        if isinstance(command, Keep):
            return lambda rows: [{k: r.get(k) for k in command.names} for r in rows]
        if isinstance(command, Sort):
            def sort(rows):
                for name, descending in reversed(command.keys):
                    rows = sorted(rows, key=lambda r: (r.get(name) is None, r.get(name)), reverse=descending)
                return rows

            return sort
        if isinstance(command, Limit):
            return lambda rows: rows[: command.count]
        raise TypeError(command)


_AGGREGATES = {
    "COUNT": len,
    "SUM": lambda vs: sum(vs) if vs else None,
    "MIN": lambda vs: min(vs) if vs else None,
    "MAX": lambda vs: max(vs) if vs else None,
    "AVG": lambda vs: sum(vs) / len(vs) if vs else None,
    "COUNT_DISTINCT": lambda vs: len(set(vs)),
    "VALUES": lambda vs: sorted(set(vs), key=str),
}
