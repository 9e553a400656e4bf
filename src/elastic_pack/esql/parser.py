"""A parser for the ES|QL the local engine runs: FROM, then piped processing commands."""

from __future__ import annotations

import re

from .ast import (BinOp, Call, Col, Dissect, Drop, Duration, EsqlQuery, Eval, FullText, Grok, InlineStats, InList,
                  IsNull, Keep, Kql, Like, Limit, Lit, MvExpand, Not, Period, Project, Rename, Sort, Stats, Where)
from ..kql.parser import KqlSyntaxError, parse_kql
from .lexer import EsqlSyntaxError, Tok, UnsupportedEsql, from_clause, identifier, tokens, unquote
from .text_commands import dissect_keys, grok_names

__all__ = ["EsqlQuery", "EsqlSyntaxError", "parse_esql"]

AGGREGATES = ("COUNT", "SUM", "MIN", "MAX", "AVG", "COUNT_DISTINCT", "VALUES", "FIRST", "LAST", "TOP", "MEDIAN",
              "PERCENTILE", "MEDIAN_ABSOLUTE_DEVIATION", "STD_DEV", "VARIANCE", "WEIGHTED_AVG")
PAIR = "\0PAIR"  # FIRST(value, sort) and LAST(value, sort) aggregate (value, sort) pairs
# time span units of duration literals (`1 hour`), in milliseconds
_UNITS = {"millisecond": 1, "milliseconds": 1, "ms": 1, "second": 1000, "seconds": 1000, "sec": 1000, "s": 1000,
          "minute": 60_000, "minutes": 60_000, "min": 60_000, "m": 60_000, "hour": 3_600_000, "hours": 3_600_000,
          "h": 3_600_000,
          "day": 86_400_000, "days": 86_400_000, "d": 86_400_000, "week": 604_800_000, "weeks": 604_800_000,
          "w": 604_800_000}
_DAY = 86_400_000
# calendar spans, in months
_MONTH_UNITS = {"month": 1, "months": 1, "mo": 1, "quarter": 3, "quarters": 3, "q": 3, "year": 12, "years": 12,
                "yr": 12, "y": 12}
# `expr::type` is the conversion function of that type
_CASTS = {"string": "TO_STRING", "keyword": "TO_STRING", "text": "TO_STRING", "integer": "TO_INTEGER",
          "int": "TO_INTEGER", "long": "TO_LONG", "double": "TO_DOUBLE", "float": "TO_DOUBLE", "boolean": "TO_BOOLEAN",
          "bool": "TO_BOOLEAN", "datetime": "TO_DATETIME", "date": "TO_DATETIME", "ip": "TO_IP",
          "version": "TO_VERSION", "unsigned_long": "TO_UNSIGNED_LONG"}
# the other names Elasticsearch gives some functions
_ALIASES = {"TO_INT": "TO_INTEGER", "TO_BOOL": "TO_BOOLEAN", "TO_DBL": "TO_DOUBLE", "TO_DT": "TO_DATETIME",
            "TO_STR": "TO_STRING", "TO_UL": "TO_UNSIGNED_LONG", "TO_ULONG": "TO_UNSIGNED_LONG", "TO_VER": "TO_VERSION"}
_COMMAND_WORDS = {"from", "row", "show", "where", "eval", "stats", "keep", "drop", "rename", "sort", "limit",
                  "mv_expand", "dissect", "grok", "inline", "lookup", "join", "enrich", "fork"}
_COMMANDS = "WHERE, EVAL, STATS, INLINE STATS, KEEP, DROP, RENAME, MV_EXPAND, DISSECT, GROK, SORT, LIMIT"


_ROW = re.compile(r"\s*(?:/\*[\s\S]*?\*/\s*|//[^\n]*\n\s*)*row\b", re.IGNORECASE)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        row = _ROW.match(text)
        self.row = row is not None
        self.sources, rest = ((), row.end()) if row else from_clause(text)
        self.toks = tokens(text, rest)
        self.i = 0
        self.defined: set[str] = set()
        self.read: set[str] = set()

    def peek(self, ahead: int = 0) -> Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self, kind: str | None = None, text: str | None = None) -> Tok:
        tok = self.peek()
        if (kind and tok.kind != kind) or (text and tok.text != text):
            raise self.error(f"expected {text or kind}")
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return True
        return False

    def error(self, message: str) -> EsqlSyntaxError:
        tok = self.peek()
        found = "end of query" if tok.kind == "end" else repr(tok.text)
        return EsqlSyntaxError(f"{message}, found {found}", self.text, tok.offset)

    def unsupported(self, message: str) -> UnsupportedEsql:
        return UnsupportedEsql(message, self.text, self.peek().offset)

    def name(self) -> str:
        tok = self.peek()
        if tok.kind == "ident" or (tok.kind not in ("end", "op", "string", "number") and tok.text.isidentifier()):
            self.i += 1
            return identifier(tok.text)
        raise self.error("expected a field name")

    def names(self) -> tuple[str, ...]:
        """Names or patterns (KEEP, DROP, METADATA); a lone * is every column."""
        found = ["*" if self.accept("op", "*") else self.name()]
        while self.accept("op", ","):
            found.append("*" if self.accept("op", "*") else self.name())
        return tuple(found)

    def parse(self) -> EsqlQuery:
        commands: list = []
        if self.row:  # ROW a = 1, b = "x": one row of these columns, as an EVAL over one empty row
            start = self.peek().offset
            commands.append(self.eval())
            names = [name for name, _ in commands[0].assignments]
            if len(set(names)) < len(names):  # Elasticsearch keeps each as its own column
                raise UnsupportedEsql("the local engine does not run ROW with two columns of one name", self.text,
                                      start)
        elif self.accept("metadata"):
            self.names()
        while self.accept("op", "|"):
            command = self.command()
            commands += command if isinstance(command, list) else [command]
        if self.peek().kind != "end":
            raise self.error("expected '|' or the end of the query")
        return EsqlQuery(self.text, self.sources, commands, self.read, self.defined, row=self.row)

    def command(self) -> object:
        tok = self.peek()
        if self.accept("where"):
            return Where(self.expr())
        if self.accept("eval"):
            return self.eval()
        if self.accept("stats"):
            return self.stats()
        if tok.kind == "inline" and self.peek(1).kind == "stats":
            self.i += 2
            commands = self.stats(inline=True)
            return [InlineStats(commands[0].aggregates, commands[0].by), *commands[1:]]
        if self.accept("keep"):
            return Keep(self.names())
        if self.accept("drop"):
            return Drop(self.names())
        if self.accept("rename"):
            pairs = [self.rename_pair()]
            while self.accept("op", ","):
                pairs.append(self.rename_pair())
            return Rename(tuple(pairs))
        if self.accept("mv_expand"):
            name = self.name()
            if name not in self.defined:
                self.read.add(name)
            return MvExpand(name)
        if self.accept("dissect"):
            source = self.primary()
            pattern = unquote(self.take("string").text)
            separator = ""
            if self.accept("append_separator"):
                self.take("op", "=")
                separator = unquote(self.take("string").text)
            try:
                self.defined |= set(dissect_keys(pattern))
            except ValueError as exc:
                raise EsqlSyntaxError(str(exc), self.text, tok.offset) from None
            return Dissect(source, pattern, separator)
        if self.accept("grok"):
            source = self.primary()
            pattern = unquote(self.take("string").text)
            self.defined |= set(grok_names(pattern))
            return Grok(source, pattern)
        if self.accept("sort"):
            computed: list[tuple[str, object]] = []  # SORT by an expression: sorted by a hidden column
            keys = [self.sort_key(computed)]
            while self.accept("op", ","):
                keys.append(self.sort_key(computed))
            if not computed:
                return Sort(tuple(keys))
            return [Eval(tuple(computed)), Sort(tuple(keys)), Drop(tuple(name for name, _ in computed))]
        if self.accept("limit"):
            return Limit(int(self.take("number").text))
        what = f"{tok.text} {self.peek(1).text}" if tok.kind in ("inline", "lookup") else tok.text
        if tok.kind not in ("op", "number", "string", "end"):  # a command name Elasticsearch may know
            raise UnsupportedEsql(f"the local engine does not run the ES|QL command {what.upper()!r} (it runs "
                                  f"{_COMMANDS})", self.text, tok.offset)
        raise self.error("expected a processing command")

    def eval(self) -> Eval:
        assignments = [self.assignment()]
        while self.accept("op", ","):
            assignments.append(self.assignment())
        return Eval(tuple(assignments))

    def stats(self, inline: bool = False) -> list:
        """STATS, plus an EVAL and a DROP when aggregates sit inside expressions (ROUND(AVG(x), 2)): the
        aggregates are computed under hidden names, the expressions over them afterwards."""
        aggregates: list[tuple[str, str, object]] = []
        derived: list[tuple[str, object]] = []
        written: list[tuple[str, bool]] = []  # (name, whether an expression over aggregates)
        self._group_only: list[tuple[str, object, int]] = []
        if self.peek().kind != "by":  # `STATS BY x`: the groups alone
            written.append(self.aggregate(aggregates, derived))
            while self.accept("op", ","):
                written.append(self.aggregate(aggregates, derived))
        by = []
        if self.accept("by"):
            by.append(self.group())
            while self.accept("op", ","):
                by.append(self.group())
        if not written and not by:
            raise self.error("STATS needs an aggregate or BY")
        self._check_group_only({name for name, _ in by})
        # a name given twice: the last one wins, a group over an aggregate (Elasticsearch's RemoveStatsOverride)
        by = [b for index, b in enumerate(by) if b[0] not in (n for n, _ in by[index + 1:])]
        grouped = {name for name, _ in by}
        names = [name for name, _ in written]
        winners = {index for index, name in enumerate(names) if name not in grouped and name not in names[index + 1:]}
        plain = iter(index for index, (_, is_derived) in enumerate(written) if not is_derived)
        aggregates = [a for a in aggregates if a[0].startswith("\0") or next(plain) in winners]
        expressions = iter(index for index, (_, is_derived) in enumerate(written) if is_derived)
        derived = [d for d in derived if next(expressions) in winners]
        self.defined |= {a[0] for a in aggregates} | {b[0] for b in by} | {d[0] for d in derived}
        commands: list = [Stats(tuple(aggregates), tuple(by))]
        if derived:
            commands.append(Eval(tuple(derived)))
        # the columns: aggregates as written, BY last; a name given twice is the last one's, in its place
        names += [name for name, _ in by]
        output = tuple(name for index, name in enumerate(names) if name not in names[index + 1:])
        if inline:  # INLINE STATS keeps every column of the row: only the hidden ones go
            if derived:
                commands.append(Drop(tuple(a[0] for a in aggregates if a[0].startswith("\0"))))
        elif derived or len(output) < len(names):
            commands.append(Project(output))
        return commands

    def rename_pair(self) -> tuple[str, str]:
        if self.peek(1).text == "=":  # RENAME new = old
            new = self.name()
            self.take("op", "=")
            old = self.name()
        else:
            old = self.name()
            self.take("as")
            new = self.name()
        self.defined.add(new)
        return old, new

    def sort_key(self, computed: list[tuple[str, object]]) -> tuple[str, bool, bool | None]:
        expr = self.expr()
        if isinstance(expr, Col):
            name = expr.name
        else:
            name = f"\0sort{len(computed)}"
            computed.append((name, expr))
        descending = False
        if self.accept("desc"):
            descending = True
        else:
            self.accept("asc")
        nulls_first = None
        if self.accept("nulls"):
            nulls_first = self.accept("first")
            if not nulls_first:
                self.take("last")
        return name, descending, nulls_first

    def assignment(self) -> tuple[str, object]:
        if self.peek(1).text != "=":  # EVAL x + 1: the column is named after the expression
            start = self.peek().offset
            expr = self.expr()
            name = self.text[start:self.peek().offset].strip()
        else:
            name = self.name()
            self.take("op", "=")
            expr = self.expr()
        self.defined.add(name)
        return name, expr

    def aggregate(self, aggregates: list, derived: list) -> tuple[str, bool]:
        start = self.peek().offset
        if self.peek(1).text == "=":
            name: str | None = self.name()
            self.take("op", "=")
        else:
            name = None
        expr = self.expr()
        condition = self.expr() if self.accept("where") else None
        if name is None:
            name = self.text[start:self.toks[self.i - 1].offset + len(self.toks[self.i - 1].text)].strip()
        if isinstance(expr, Call) and expr.name == "WEIGHTED_AVG" and len(expr.args) == 2:
            constant = _fold(expr.args[0])
            if isinstance(expr.args[0], Lit) or constant is not None:  # WeightedAvg.surrogate: MV_AVG of it
                derived.append((name, Call("MV_AVG", (expr.args[0],))))
                return name, True
            weight = expr.args[1]
            if isinstance(weight, Lit) and weight.value in (None, 0) and not isinstance(weight.value, bool):
                raise self.error(f"SECOND argument of [{self.text[start:self.toks[self.i - 1].offset + 1].strip()}] "
                                 f"cannot be null or 0, received [{'null' if weight.value is None else 0}]")
            if isinstance(weight, Lit) or _fold(weight) is not None:  # a constant weight: the plain average
                expr = Call("AVG", (expr.args[0],))
        if isinstance(expr, Call) and expr.name in AGGREGATES and condition is None:
            aggregates.append((name, *self._aggregate_call(expr, None)))
            return name, False
        hidden: list = []

        def lift(node: object) -> object:  # aggregate calls -> columns computed by STATS
            if isinstance(node, Call) and node.name in AGGREGATES:
                column = f"\0{name}#{len(aggregates) + len(hidden)}"
                hidden.append((column, *self._aggregate_call(node, condition)))
                return Col(column)
            if isinstance(node, Call):
                return Call(node.name, tuple(lift(a) for a in node.args))
            if isinstance(node, BinOp):
                return BinOp(node.op, lift(node.left), lift(node.right))
            if isinstance(node, Not):
                return Not(lift(node.term))
            return node

        rewritten = lift(expr)
        if not hidden and isinstance(expr, Call):
            raise UnsupportedEsql(f"the local engine does not run the ES|QL aggregate {expr.name}() (it runs "
                                  f"{', '.join(AGGREGATES)})", self.text, start)
        if not hidden:  # an expression over the groups alone (length(f) + 1 ... BY f = first_name): checked below
            self._group_only.append((name, expr, start))
        aggregates += hidden
        derived.append((name, rewritten))
        return name, True

    def _temporal_amount(self, node: object, kind: str) -> object:
        """`"3 days"::date_period`, `TO_TIMEDURATION("3 hours")`, `3 days::date_period`, null: a span literal.
        Elasticsearch wants a constant; the engine takes literals (a column holding the text is refused)."""
        if isinstance(node, Lit) and node.value is None:
            return node
        if isinstance(node, Lit) and isinstance(node.value, str):
            found = re.fullmatch(r"\s*(\d+)\s+([A-Za-z]+)\s*", node.value)  # "3days": invalid interval
            unit = found.group(2).lower() if found else ""
            if found and kind == "date_period" and unit in _MONTH_UNITS:
                return Lit(Period(int(found.group(1)) * _MONTH_UNITS[unit]))
            if found and unit in _UNITS:
                node = Lit(Duration(int(found.group(1)) * _UNITS[unit],
                                    int(found.group(1)) * _UNITS[unit] // _DAY if _UNITS[unit] >= _DAY else 0))
            else:
                raise self.error(f"Cannot convert string [{node.value}] to [{kind.upper()}]")
        if isinstance(node, Lit) and isinstance(node.value, Period):
            if kind == "time_duration":
                raise self.error("a calendar period is no TIME_DURATION")
            return node
        if isinstance(node, Lit) and isinstance(node.value, Duration):
            days = node.value.days
            if kind == "date_period":  # days and weeks are a period; hours and less are not
                if not days or node.value.millis != days * _DAY:
                    raise self.error("a time duration is no DATE_PERIOD")
                return Lit(Period(0, days))
            if days:
                raise self.error("days and weeks are a DATE_PERIOD, no TIME_DURATION")
            return node
        raise self.unsupported(f"the local engine casts to {kind} a literal only")

    def _as_double(self, node: object) -> object:
        """A string literal given to a function of numbers: Elasticsearch 8.19 casts it to a double
        (string_literal_auto_casting: ABS("10"), SQRT("4"), ROUND("1.5") answer 10.0, 2.0, 2.0)."""
        if not (isinstance(node, Lit) and isinstance(node.value, str)):
            return node
        try:
            number = float(node.value.strip())
        except ValueError:
            raise self.error(f"Cannot convert string [{node.value}] to [DOUBLE]") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise self.error(f"Cannot convert string [{node.value}] to [DOUBLE]")
        return Lit(number)

    def _check_group_only(self, grouped: set[str]) -> None:
        """An expression of STATS without an aggregate reads only BY's columns (Elasticsearch: `column [x] must
        appear in the STATS BY clause or be used in an aggregate function`)."""
        from .columns import _names_read

        for name, expr, start in self._group_only:
            read = _names_read(expr)
            if not read:
                raise EsqlSyntaxError(f"STATS needs an aggregate function in {name!r} (it runs "
                                      f"{', '.join(AGGREGATES)})", self.text, start)
            outside = sorted(read - grouped)
            if outside:
                raise EsqlSyntaxError(f"column [{outside[0]}] must appear in the STATS BY clause or be used in an "
                                      f"aggregate function", self.text, start)

    def _aggregate_call(self, call: Call, condition: object) -> tuple[str, object]:
        """(function, argument or None for *), the argument filtered by a STATS ... WHERE condition.
        TOP(field, n, order) is the function "TOP:n:order"."""
        if call.name not in AGGREGATES:
            raise self.unsupported(f"the local engine does not run the ES|QL aggregate {call.name}()")
        if call.name == "TOP":
            limit, order = call.args[1:3] if len(call.args) == 3 else (None, None)
            if not (isinstance(limit, Lit) and isinstance(limit.value, int) and limit.value > 0
                    and isinstance(order, Lit) and str(order.value).lower() in ("asc", "desc")):
                raise self.error("TOP() takes a field, a whole number above 0 and \"asc\" or \"desc\"")
            field = call.args[0] if condition is None else Call("CASE", (condition, call.args[0]))
            return f"TOP:{limit.value}:{str(order.value).lower()}", field
        star = not call.args or (len(call.args) == 1 and call.args[0] == Col("*"))
        if call.name == "PERCENTILE":  # PERCENTILE(field, p) is the function "PERCENTILE:p"
            percentile = _fold(call.args[1]) if len(call.args) == 2 else None
            if not isinstance(percentile, (int, float)) or isinstance(percentile, bool):
                raise self.error("PERCENTILE() takes a field and a constant percentile")
            field = call.args[0] if condition is None else Call("CASE", (condition, call.args[0]))
            return f"PERCENTILE:{float(percentile)!r}", field
        if call.name in ("FIRST", "LAST", "WEIGHTED_AVG"):
            if len(call.args) != 2:
                raise self.error(f"{call.name}() takes a value and the field it is ordered by" if call.name != "WEIGHTED_AVG"
                                 else "WEIGHTED_AVG() takes a number and its weight")
            arg: object = Call(PAIR, call.args)
        elif call.name == "COUNT_DISTINCT" and len(call.args) == 2:
            threshold = _fold(call.args[1])
            if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
                raise self.unsupported("the local engine runs COUNT_DISTINCT() with a constant whole precision")
            field = call.args[0] if condition is None else Call("CASE", (condition, call.args[0]))
            return f"COUNT_DISTINCT:{min(threshold, 40000)}", field
        elif len(call.args) > 1:
            raise self.unsupported(f"the local engine runs {call.name}() with one argument")
        else:
            arg = None if star else call.args[0]
        if condition is not None:  # rows that fail the condition give null, which aggregates skip
            arg = Call("CASE", (condition, Lit(1) if arg is None else arg))
        return call.name, arg

    def group(self) -> tuple[str, object]:
        if self.peek(1).text == "=":
            name = self.name()
            self.take("op", "=")
            return name, self.expr()
        start = self.peek().offset
        expr = self.additive()
        if isinstance(expr, Col):
            return expr.name, expr
        return self.text[start:self.toks[self.i - 1].offset + len(self.toks[self.i - 1].text)].strip(), expr

    # expressions
    def expr(self) -> object:
        node = self.and_expr()
        while self.accept("or"):
            node = BinOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> object:
        node = self.not_expr()
        while self.accept("and"):
            node = BinOp("and", node, self.not_expr())
        return node

    def not_expr(self) -> object:
        if self.accept("not"):
            return Not(self.not_expr())
        return self.predicate()

    def _full_text(self, field: object, text: object) -> FullText:
        if isinstance(field, Call) and field.name.startswith("TO_") and len(field.args) == 1:
            field = field.args[0]  # `field::type`: a cast settles a type conflict across indices; the field's own values
        if not isinstance(field, Col) or not isinstance(text, Lit) or not isinstance(text.value, str):
            raise self.error("a full-text match takes a field and a string")
        return FullText(field.name, text.value)

    def predicate(self) -> object:
        left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            return BinOp(tok.text, left, self.additive())
        if tok.kind == "op" and tok.text == ":":
            self.i += 1
            return self._full_text(left, self.additive())
        if self.accept("is"):
            negated = self.accept("not")
            self.take("null")
            return IsNull(left, negated)
        negated = False
        if tok.kind == "not" and self.peek(1).kind in ("in", "like", "rlike"):
            self.i += 1
            negated = True
        if self.accept("in"):
            self.take("op", "(")
            items = [self.additive()]
            while self.accept("op", ","):
                items.append(self.additive())
            self.take("op", ")")
            return InList(left, tuple(items), negated)
        for kind in ("like", "rlike"):
            if self.accept(kind):
                return Like(left, self.patterns(listed=kind == "like"), negated, regex=kind == "rlike")
        return left

    def _constant(self) -> object:
        node = self.unary()
        value = _fold(node)
        if not isinstance(node, Lit) and value is None:
            raise self.error("a list holds constants")
        if isinstance(value, (tuple, Duration, Period)):
            raise self.error("a list holds strings, numbers, booleans or null")
        return value

    def patterns(self, listed: bool = True) -> tuple[str, ...]:
        """LIKE's pattern or list of patterns; RLIKE takes one (8.19: `extraneous input '(' expecting
        QUOTED_STRING`)."""
        if not listed and self.peek().text == "(":
            raise self.error("extraneous input '(' expecting QUOTED_STRING")
        if self.accept("op", "("):
            found = [unquote(self.take("string").text)]
            while self.accept("op", ","):
                found.append(unquote(self.take("string").text))
            self.take("op", ")")
            return tuple(found)
        return (unquote(self.take("string").text),)

    def additive(self) -> object:
        node = self.multiplicative()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            node = BinOp(op, node, self.multiplicative())
        return node

    def multiplicative(self) -> object:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/", "%"):
            op = self.take().text
            node = BinOp(op, node, self.unary())
        return node

    def unary(self) -> object:
        if self.peek().text == "-" and self.peek().kind == "op":
            self.i += 1
            number = self.peek().kind == "number"
            node = self.unary()
            if number and isinstance(node, Lit) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool):
                return Lit(-node.value)  # -2147483648 is one literal (an integer), as Elasticsearch folds it
            if isinstance(node, Lit) and isinstance(node.value, Period):
                return Lit(Period(-node.value.months, -node.value.days))
            if isinstance(node, Lit) and isinstance(node.value, Duration):
                return Lit(Duration(-node.value.millis, -node.value.days))
            # -x as -1 * x, not 0 - x: 0 - (1 year) would read the 0 as a date (1970-01-01)
            return BinOp("*", Lit(-1), node)
        if self.peek().text == "+" and self.peek().kind == "op":  # +1 is 1
            self.i += 1
            return self.unary()
        node = self.primary()
        while self.accept("op", "::"):
            kind = self.take("ident").text.lower()
            if kind in ("date_period", "time_duration"):
                node = self._temporal_amount(node, kind)
                continue
            if kind not in _CASTS:
                raise self.error(f"unknown type {kind!r} in a ::cast")
            node = Call(_CASTS[kind], (node,))
        return node

    def primary(self) -> object:
        tok = self.peek()
        if self.accept("op", "("):
            node = self.expr()
            self.take("op", ")")
            return node
        if self.accept("op", "["):  # a list of constants: a multi-valued literal
            items = [self._constant()]
            while self.accept("op", ","):
                items.append(self._constant())
            self.take("op", "]")
            return Lit(tuple(items))
        if tok.kind == "string":
            self.i += 1
            return Lit(unquote(tok.text))
        if tok.kind == "number":
            self.i += 1
            unit = self.peek()
            if unit.kind == "ident" and unit.text.lower() in _MONTH_UNITS and "." not in tok.text:
                self.i += 1
                return Lit(Period(int(tok.text) * _MONTH_UNITS[unit.text.lower()]))
            if unit.kind == "ident" and unit.text.lower() in _UNITS and "." not in tok.text:
                self.i += 1
                millis = int(tok.text) * _UNITS[unit.text.lower()]
                return Lit(Duration(millis, millis // _DAY if _UNITS[unit.text.lower()] >= _DAY else 0))
            return Lit(float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text))
        if tok.kind in ("true", "false"):
            self.i += 1
            return Lit(tok.kind == "true")
        if tok.kind == "null":
            self.i += 1
            return Lit(None)
        if tok.kind in ("ident", "first", "last") and self.peek(1).text == "(":
            self.i += 2
            if tok.text.upper() == "KQL":
                query_tok = self.take("string")
                self.take("op", ")")
                query = unquote(query_tok.text)
                try:
                    self.read |= set(parse_kql(query).fields())
                except KqlSyntaxError as exc:
                    raise EsqlSyntaxError(f"KQL(): {exc}", self.text, query_tok.offset) from None
                return Kql(query)
            if tok.text.upper() == "MATCH":
                field = self.expr()
                self.take("op", ",")
                text = self.expr()
                if self.peek().text == ",":
                    raise self.unsupported("the local engine does not run MATCH() with options")
                self.take("op", ")")
                return self._full_text(field, text)
            args: list = []
            if self.peek().text == "*" and self.peek(1).text == ")":  # COUNT(*)
                self.i += 2
                return Call(tok.text.upper(), (Col("*"),))
            if not self.accept("op", ")"):
                args.append(self.expr())
                while self.accept("op", ","):
                    args.append(self.expr())
                self.take("op", ")")
            name = _ALIASES.get(tok.text.upper(), tok.text.upper())
            if name in ("TO_DATEPERIOD", "TO_TIMEDURATION") and len(args) == 1:
                return self._temporal_amount(args[0], "date_period" if name == "TO_DATEPERIOD" else "time_duration")
            if name in _NUMBER_ARGUMENTS:  # a string literal there is cast to a double (ABS("10.0") is 10.0)
                args = [self._as_double(a) for a in args]
            return Call(name, tuple(args))
        if tok.kind == "ident" or tok.kind in _COMMAND_WORDS:  # a command's name is a column's in an expression
            name = self.name()
            if name not in self.defined:
                self.read.add(name)
            return Col(name)
        raise self.error("expected a value, a field or a function")


def _fold(node: object) -> object:
    """A constant expression's value (`25 * 2`, `-(50 - 1) + 99`), or None when it is not one."""
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/"):
        left, right = _fold(node.left), _fold(node.right)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            return None
        assert isinstance(left, (int, float)) and isinstance(right, (int, float))
        if node.op == "/":
            return None if not right else int(left / right) if isinstance(left, int) and isinstance(right, int) \
                else left / right
        return left + right if node.op == "+" else left - right if node.op == "-" else left * right
    return None


_KEYWORDS_NOT_NAMES = {"first", "last", "asc", "desc", "nulls"}
# functions whose every argument is a number
_NUMBER_ARGUMENTS = {"ABS", "ROUND", "CEIL", "FLOOR", "SQRT", "CBRT", "POW", "LOG", "LOG10", "EXP", "SIGNUM", "SIN",
                     "COS", "TAN", "ASIN", "ACOS", "ATAN", "ATAN2", "SINH", "COSH", "TANH", "HYPOT", "TO_DEGREES",
                     "TO_RADIANS"}


def _keywords_as_names(text: str) -> None:
    """Elasticsearch's ES|QL grammar reads `first`, `last`, `asc`, `desc` and `nulls` as keywords: as a column
    assigned (`STATS first = MIN(x)`) it refuses them unless backquoted."""
    try:
        toks = tokens(text)
    except EsqlSyntaxError:
        return  # the parser reports it
    for tok, following in zip(toks, toks[1:]):
        if tok.kind in _KEYWORDS_NOT_NAMES and following.kind == "op" and following.text == "=":
            raise EsqlSyntaxError(f"mismatched input '{tok.text}': a keyword, write `{tok.text}` as a column name",
                                  text, tok.offset)


def parse_esql(text: str) -> EsqlQuery:
    """Parse an ES|QL query (FROM or ROW, then piped commands); EsqlSyntaxError (with line and column) on what is
    not ES|QL, UnsupportedEsql on ES|QL the local engine does not run."""
    _keywords_as_names(text)
    return _Parser(text).parse()
