"""ES|QL queries run with ES|QL's semantics: row-local commands as events arrive, STATS and what follows at
each rule run; WHERE keeps rows whose condition is true (expressions: esql/expressions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..memo import kept_per_strings
from .aggregates import aggregate_rows, group_keys, ip_text, order_key, version_text
from .ast import (BinOp, Col, Dissect, Drop, Eval, Grok, InList, InlineStats, IsNull, Keep, Like, Limit, Lit,
                  MvExpand, Not, Project, Rename, Sort, Stats, Where)
from ..glob import glob
from ..fields import OBJECT_SHAPED_TYPES, field_type
from .expressions import Clock, Compiler, Row, Types, _flat, all_values
from .ordering import _ordered_kind, ip_key
from .lexer import UnsupportedEsql
from .text_commands import dissect, dissect_keys, grok, grok_names

def _typed_order(expr: Callable[[Row], Any], kind: str) -> Callable[[Row], Any]:
    """An ip- or version-typed aggregate argument's values, ordered as ips or versions by MIN, MAX and TOP
    (their text unchanged)."""
    one = _as_ip if kind == "ip" else (lambda v: version_text(v) if v.__class__ is str else v)

    def ordered(row: Row) -> Any:
        value = expr(row)
        return [one(v) for v in value] if value.__class__ is list else one(value)

    return ordered


def _as_ip(value: Any) -> Any:
    key = ip_key(value)  # None for anything but an ip's text, null included
    return value if key is None else ip_text(value, key)


def _version_keys(value: Any) -> Any:
    if value.__class__ is list:
        return [version_text(v) for v in value if v.__class__ is str] or None
    return version_text(value) if value.__class__ is str else value


def _ip_keys(value: Any) -> Any:
    if value.__class__ is list:
        keys = [k for k in map(ip_key, value) if k is not None]
        return keys if len(keys) > 1 else (keys[0] if keys else None)
    return ip_key(value)


def _doc_value(values: list, kind: str | None) -> Any:
    """A multi-valued field's values as doc values hold them (see CompiledEsql._doc_values)."""
    flat = _flat(values)
    if kind in ("text", "match_only_text"):
        return all_values(flat)
    if kind == "ip":
        flat = sorted(dict.fromkeys(flat), key=lambda v: (k if (k := ip_key(v)) is not None else -1, str(v)))
    elif all(isinstance(v, str) for v in flat) and kind not in _DUPLICATES_KEPT:
        flat = sorted(dict.fromkeys(flat))  # keyword: a sorted set
    else:
        flat = sorted(flat, key=order_key)  # numbers, booleans, dates: sorted, repeats kept
    return all_values(flat)


_DUPLICATES_KEPT = {"date", "date_nanos", "long", "integer", "short", "byte", "double", "float", "half_float",
                    "scaled_float", "unsigned_long", "boolean"}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _matcher(pattern: str) -> Callable[[str], bool]:
    """A column name pattern of KEEP and DROP (`host.*`), compiled once."""
    if "*" not in pattern:
        return lambda name: name == pattern
    compiled = glob(pattern, escapes=True)
    return lambda name: compiled.fullmatch(name) is not None


def _keep(names: tuple) -> Callable[[Row], Row]:
    """Columns in the order KEEP names them; a column several names match goes where the one of highest
    precedence is (a whole name, then a partial wildcard, then `*`; the rightmost among equals)."""
    matchers = [_matcher(p) for p in names]
    precedence = [0 if "*" not in p else 2 if p == "*" else 1 for p in names]
    layouts: dict[tuple, list[str]] = {}

    def layout(columns: tuple) -> list[str]:
        placed = []
        for position, column in enumerate(columns):
            matched = [i for i, matches in enumerate(matchers) if matches(column)]
            if matched:
                best = min(matched, key=lambda i: (precedence[i], -i))
                placed.append((best, position, column))
        return [column for _, _, column in sorted(placed)]

    def keep(row: Row) -> Row:
        columns = tuple(row)
        order = layouts.get(columns)
        if order is None:
            if len(layouts) > 1024:
                layouts.clear()
            order = layouts[columns] = layout(columns)
        return {column: row[column] for column in order}

    return keep


def _drop(names: tuple) -> Callable[[Row], Row]:
    matchers = [_matcher(p) for p in names]
    return lambda row: {k: v for k, v in row.items() if not any(m(k) for m in matchers)}


def _rename(pairs: tuple) -> Callable[[Row], Row]:
    """Each pair in turn: the column takes the new name in its place; a column that had the new name goes."""
    def rename(row: Row) -> Row:
        for old, new in pairs:
            if old == new:
                continue
            out = {}
            for column, value in row.items():
                if column == old:
                    out[new] = value
                elif column != new:
                    out[column] = value
            if old not in row:  # a field this document does not have: null under the new name
                out[new] = None
            row = out
        return row

    return rename


_PURE_OPERATORS = frozenset({"and", "or", "==", "!=", "<", "<=", ">", ">="})


def _columns_read(node: Any, types: Callable[[str], str | None]) -> tuple[str, ...] | None:
    """The columns a condition reads, when its answer depends on their values alone: only comparisons, AND,
    OR, NOT, IS NULL, IN, LIKE and RLIKE of columns and literals (no function, no clock, no full-text search,
    no column of an object shape, whose keys lie under its name). None for any other condition."""
    names: dict[str, None] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Col):
            if types(current.name) in OBJECT_SHAPED_TYPES:
                return None
            names[current.name] = None
        elif isinstance(current, Lit):
            continue
        elif isinstance(current, BinOp) and current.op in _PURE_OPERATORS:
            pending += (current.left, current.right)
        elif isinstance(current, (Not, IsNull, Like)):
            pending.append(current.term)
        elif isinstance(current, InList):
            pending += (current.term, *current.items)
        else:
            return None
    return tuple(names)


def _pure_source_fields(query: Any, commands: list, types: Types) -> tuple[str, ...] | None:
    """The source fields whose values alone decide what `commands` make of an event (sorted), when nothing
    else does: no NOW(), no KQL() or full-text search (they read fields their text names, and the clock),
    no MV_EXPAND, no column of an object shape (its keys lie under its name). None otherwise."""
    from .ast import Call, FullText, Kql, nodes

    for node in nodes(commands):
        if isinstance(node, (Kql, FullText, MvExpand)) or (isinstance(node, Call) and node.name == "NOW"):
            return None
        if isinstance(node, Col) and types(node.name) in OBJECT_SHAPED_TYPES:
            return None
    if any(types(name) in OBJECT_SHAPED_TYPES for name in query.fields):
        return None
    return tuple(sorted(query.fields))


MAX_EXPANDED_ROWS = 100_000  # rows MV_EXPAND may make of one event: beyond, refused rather than run for minutes


class CompiledEsql:
    """Row-local commands run as events arrive; STATS and what follows run once per rule execution."""

    def __init__(self, query: Any, clock: Clock | None = None, types: Types | None = None):
        """`types`: a field's mapped type (default: the field catalogue's); each command's expressions see the
        columns earlier commands made, typed as ES|QL types them (an ip compares and sorts as an ip)."""
        from .columns import typed_steps

        self.query = query
        self.base_types: Types = types or field_type
        self.step_types = typed_steps(query, self.base_types)
        self.compiler = Compiler(clock, self.base_types)
        self.multi_fields = [(name, kind) for name in sorted(query.fields)
                             if (kind := self.base_types(name)) not in OBJECT_SHAPED_TYPES]
        commands = query.commands
        self.stats: Stats | None = None
        self.after: list = []
        self.after_steps: list = []
        self.row_after: list = []
        self.table_after: list = []
        table = next((i for i, c in enumerate(commands) if isinstance(c, (InlineStats, Sort, Limit))), None)
        split = next((i for i, c in enumerate(commands) if isinstance(c, Stats)), len(commands))
        # INLINE STATS, and SORT or LIMIT before STATS, need every row of a run's window: from there on, the
        # query runs on the whole table of the run
        self.table_mode = table is not None and table < split
        if self.table_mode:
            assert table is not None
            self.table_steps = [self._table_step(c) for c in commands[table:]]
            self.aggregating = split < len(commands)
            self.final_by = tuple(name for name, _ in commands[split].by) if self.aggregating else ()
            split = table
        self.before = [self._row_step(c) for c in commands[:split]]
        self.expands = any(isinstance(c, MvExpand) for c in commands[:split])
        if self.table_mode:
            return
        self.stats = commands[split] if split < len(commands) else None
        self.after = commands[split + 1:] if self.stats else []
        if self.stats:
            self.compact = self._compactor(self.stats)
            # what STATS takes of an event, kept per combination of the source fields' values (see compacts)
            self._compacts_key = _pure_source_fields(query, commands[:split + 1], self.base_types)
            self._compacts = self._compacts_of if self._compacts_key is None else \
                kept_per_strings(self._compacts_of, self._compacts_key)
        self.after_steps = [self._table_step(c) for c in self.after]
        # WHERE and EVAL right after STATS work row by row: their result per group can be cached
        row_local = 0
        while row_local < len(self.after) and isinstance(self.after[row_local], (Where, Eval)):
            row_local += 1
        self.row_after = [self._row_step(c) for c in self.after[:row_local]]
        self.table_after = self.after_steps[row_local:]

    def _types_at(self, command: Any) -> Types:
        """The compiler set to the column types `command` sees; those types."""
        self.compiler.types = self.step_types.get(id(command), self.base_types)
        return self.compiler.types

    def _row_step(self, command: Any) -> Callable[[Row], Any]:
        """One row in, the row out (None: dropped); MV_EXPAND gives a list of rows."""
        self._types_at(command)
        if isinstance(command, Where):
            condition = self.compiler.expr(command.condition)
            names = _columns_read(command.condition, self.compiler.types)
            if names is not None:
                condition = kept_per_strings(condition, names)
            return lambda row: row if condition(row) is True else None
        if isinstance(command, Eval):
            assignments = [(name, self.compiler.expr(expr)) for name, expr in command.assignments]

            def evaluate(row: Row) -> Row:
                row = dict(row)
                for name, expr in assignments:
                    value = expr(row)
                    row.pop(name, None)  # a column assigned again moves last, as a new one comes
                    row[name] = value
                return row

            return evaluate
        if isinstance(command, Keep):
            return _keep(command.names)
        if isinstance(command, Drop):
            return _drop(command.names)
        if isinstance(command, Rename):
            return _rename(command.pairs)
        if isinstance(command, Project):
            names = command.names
            return lambda row: {name: row.get(name) for name in names}
        if isinstance(command, MvExpand):
            name = command.name

            def expand(row: Row) -> list[Row]:
                value = row.get(name)
                if not isinstance(value, list):
                    return [row]
                return [{**row, name: item} for item in _flat(value)] or [{**row, name: None}]

            return expand
        if isinstance(command, (Dissect, Grok)):
            source = self.compiler.expr(command.source)
            if isinstance(command, Dissect):
                parse, columns = dissect(command.pattern, command.separator), dissect_keys(command.pattern)
            else:
                parse, columns = grok(command.pattern), grok_names(command.pattern)
            replaced = set(columns)

            def extract(row: Row) -> Row:
                """The pattern's columns, last, in its order (replacing columns of the same names): each value
                of a multi-valued input parsed; null where nothing matched or the input is null."""
                value = source(row)
                found: dict[str, list] = {column: [] for column in columns}
                for text in (value if value.__class__ is list else () if value is None else (value,)):
                    parsed = parse(text if isinstance(text, str) else _text(text))
                    for column, got in (parsed or {}).items():
                        if got.__class__ is list:
                            found[column] += got
                        elif got is not None:
                            found[column].append(got)
                out = {k: v for k, v in row.items() if k not in replaced}
                for column in columns:
                    got = found[column]
                    out[column] = got[0] if len(got) == 1 else (got or None)
                return out

            return extract
        raise TypeError(command)

    def run_table(self, rows: list[Row]) -> list[Row]:
        """Table mode (INLINE STATS): the rest of the query over all of a run's rows."""
        for step in self.table_steps:
            rows = step(rows)
        return rows

    def _doc_values(self, fields: dict) -> dict:
        """The event's multi-valued fields (of those the query reads) as Elasticsearch's doc values give them
        to ES|QL: ascending, keyword and ip values once each, a one-element array as its value; text fields
        (read from _source) as written."""
        changed = None
        for name, kind in self.multi_fields:
            value = fields.get(name)
            if value.__class__ is list:
                if changed is None:
                    changed = dict(fields)
                changed[name] = _doc_value(value, kind)
        return fields if changed is None else changed

    def rows(self, fields: dict) -> list[Row]:
        """The rows an event gives after the row-local commands (none when a WHERE drops it; several after
        MV_EXPAND of a multi-valued field)."""
        if not self.expands:
            row = self.row(fields)
            return [] if row is None else [row]
        current: list[Row] = [self._doc_values(fields)]
        for step in self.before:
            following: list[Row] = []
            for row in current:
                result = step(row)
                if isinstance(result, list):
                    following += result
                    if len(following) > MAX_EXPANDED_ROWS:
                        raise UnsupportedEsql(f"MV_EXPAND making more than {MAX_EXPANDED_ROWS:,} rows of one event "
                                              "(the local engine does not hold them all)")
                elif result is not None:
                    following.append(result)
            current = following
        return current

    def row(self, fields: dict) -> Row | None:
        """The event after the row-local commands, or None when a WHERE drops it (queries without MV_EXPAND)."""
        row = self._doc_values(fields)
        for step in self.before:
            row = step(row)
            if row is None:
                return None
        return row

    def compacts(self, fields: dict) -> list[tuple[tuple, tuple]]:
        """What STATS takes of an event: (group key, aggregated values) for each row the row-local commands
        leave of it; kept per combination of the source fields' string values when nothing else decides it
        (see _pure_source_fields)."""
        return self._compacts(fields)

    def _compacts_of(self, fields: dict) -> list[tuple[tuple, tuple]]:
        return [c for row in self.rows(fields) for c in self.compact(row)]

    def _compactor(self, stats: Stats | InlineStats) -> Callable[[Row], list[tuple[tuple, tuple]]]:
        """What STATS needs of a row: (group key, aggregated values), one per group the row falls in (a
        multi-valued BY puts the row in the group of each of its values)."""
        self._types_at(stats)
        groups = [self.compiler.all_values_of(e) for _, e in stats.by]
        values: list[Callable[[Row], Any] | None] = []
        for _, func, arg in stats.aggregates:
            if arg is None:
                values.append(None)
                continue
            value = self.compiler.all_values_of(arg)
            ordered = func in ("MIN", "MAX") or func.startswith("TOP:")
            kind = _ordered_kind(arg, self.compiler.types) if ordered else None
            values.append(_typed_order(value, kind) if kind else value)
        # `BY l = languages`: the aggregates (and their WHERE) see l
        aliases = [(index, name) for index, (name, e) in enumerate(stats.by) if e != Col(name)]

        def compact(row: Row) -> list[tuple[tuple, tuple]]:
            parts = [g(row) for g in groups]
            seen = {**row, **{name: parts[index] for index, name in aliases}} if aliases else row
            aggregated = tuple([1 if v is None else v(seen) for v in values])
            for part in parts:
                if isinstance(part, list):  # a multi-valued BY: the row in the group of each value
                    return [(key, aggregated) for key in group_keys(parts)]
            return [(tuple(parts), aggregated)]  # one value (or null) each: one group

        return compact

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
        rows = aggregate_rows(self.stats, compacts)
        for step in self.after_steps:
            rows = step(rows)
        return rows

    def _inline_stats(self, command: InlineStats) -> Callable[[list[Row]], list[Row]]:
        compact = self._compactor(command)
        stats = Stats(command.aggregates, command.by)
        names = [name for name, _, _ in command.aggregates]
        by_names = [name for name, _ in command.by]

        def inline(rows: list[Row]) -> list[Row]:
            keyed = [(row, compact(row)) for row in rows]
            compacts = [pair for _, pairs in keyed for pair in pairs]
            results = {tuple(r.get(n) for n, _ in command.by): r for r in aggregate_rows(stats, compacts)}
            out = []
            added = set(names) | set(by_names)
            for row, pairs in keyed:
                kept = {k: v for k, v in row.items() if k not in added}
                for key, _ in pairs:  # a multi-valued BY: the row once per value, as STATS would count it
                    found = results.get(key, {})
                    # the row's columns, then the aggregates, then the groups (as Elasticsearch appends them)
                    out.append({**kept, **{name: found.get(name) for name in names}, **dict(zip(by_names, key))})
            return out

        return inline

    def _table_step(self, command: Any) -> Callable[[list[Row]], list[Row]]:
        types = self._types_at(command)
        if isinstance(command, Where):
            condition = self.compiler.expr(command.condition)
            return lambda rows: [r for r in rows if condition(r) is True]
        if isinstance(command, Sort):
            ips = {name for name, _, _ in command.keys if types(name) == "ip"}
            versions = {name for name, _, _ in command.keys if types(name) == "version"}

            def sort(rows: list[Row]) -> list[Row]:
                for name, descending, nulls_first in reversed(command.keys):
                    # ES|QL: nulls last ascending, first descending, unless NULLS FIRST/LAST says otherwise
                    first = descending if nulls_first is None else nulls_first
                    # a multi-valued key sorts by its smallest value ascending, its largest descending
                    pick = max if descending else min
                    keyed = [(r, all_values(r.get(name))) for r in rows]
                    if name in ips:  # ips sort as ips, versions as versions, not as text
                        keyed = [(r, _ip_keys(v)) for r, v in keyed]
                    elif name in versions:
                        keyed = [(r, _version_keys(v)) for r, v in keyed]
                    present = [r for r, _ in sorted(
                        ((r, v) for r, v in keyed if v is not None),
                        key=lambda pair: order_key(pick(pair[1], key=order_key) if pair[1].__class__ is list
                                                   else pair[1]), reverse=descending)]
                    missing = [r for r, v in keyed if v is None]
                    rows = missing + present if first else present + missing
                return rows

            return sort
        if isinstance(command, Limit):
            return lambda rows: rows[: command.count]
        if isinstance(command, InlineStats):
            return self._inline_stats(command)
        if isinstance(command, Stats):  # a STATS over the result of an earlier one
            compact = self._compactor(command)
            return lambda rows: aggregate_rows(command, [pair for r in rows for pair in compact(r)])
        step = self._row_step(command)
        if isinstance(command, MvExpand):
            return lambda rows: [out for r in rows for out in step(r)]
        return lambda rows: [out for r in rows if (out := step(r)) is not None]
