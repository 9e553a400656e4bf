"""ES|QL expressions compiled to functions of a row, with ES|QL's semantics: an expression's value is all its
values (a list when multi-valued, a one-element array a single value); comparisons, arithmetic and
single-value functions read a multi-valued one as null, while IS NULL, CASE and COALESCE branches, type
conversions, MV_ functions and aggregates keep every value. Null propagates, dates compare and move as epoch
milliseconds, string literals take the compared value's type, three-valued AND/OR/NOT and IN."""

from __future__ import annotations

import inspect
import json
import math
import re
import time
from collections.abc import Callable
from itertools import zip_longest
from typing import Any

from ..documents import values_under
from ..errors import QueryError, QueryTypeError
from ..fields import OBJECT_SHAPED_TYPES, field_type
from ..glob import glob
from ..lucene_regex import LuceneRegex
from .ast import BinOp, Call, Col, Duration, FullText, InList, IsNull, Kql, Like, Lit, Not, Period
from .functions import DATE_DIFF_UNITS, DATE_PARTS, MULTI, SCALAR, UNKNOWN_FUNCTIONS, _string, in_long, plus_months, to_millis
from .date_format import compile_pattern as date_pattern
from .geo import geo_point
from .ordering import _IP_ORDERED, _VERSION_ORDERED, _ip_typed, _ordered_kind, ip_key
from .lexer import UnsupportedEsql
from .parser import PAIR
from .values import date_text

Row = dict
Expr = Callable[[Row], Any]
Clock = Callable[[], float]  # epoch seconds: `NOW()` of the run evaluating the query
Types = Callable[[str], "str | None"]  # a column's name -> its type (None: not known before the data)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _scalar(value: Any) -> Any:
    """A value as a single-value context reads it: a multi-valued one is null (Elasticsearch warns), a
    one-element array (`["process"]`, as ECS writes event.category) is its one value, an object no value."""
    if value.__class__ is list:
        value = all_values(value)
        return None if value.__class__ is list else value
    return None if value.__class__ is dict else value


def _flat(values: list) -> list:
    """An array's values as Elasticsearch indexes them: nested arrays flattened, nulls and objects left out."""
    out = []
    for v in values:
        if v.__class__ is list:
            out += _flat(v)
        elif v is not None and v.__class__ is not dict:
            out.append(v)
    return out


def all_values(value: Any) -> Any:
    """A column's value with all its values: a list when multi-valued, the value itself when it has one (a
    one-element array too), null for none; an object is no value."""
    if value.__class__ is dict:
        return None
    if value.__class__ is list:
        kept = _flat(value)
        return kept if len(kept) > 1 else (kept[0] if kept else None)
    return value


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
    if a.__class__ is str and b.__class__ is str and a != b and _DATE.match(a) and _DATE.match(b):
        # two dates written differently (`...Z`, `....000Z`, `+00:00`) are one instant
        ma, mb = to_millis(a), to_millis(b)
        if ma is not None and mb is not None:
            return ma, mb
    return a, b



def _against_text(side: Expr, text: str, compare: Callable[[Any, Any], Any], literal_first: bool) -> Expr:
    """A comparison against a string literal, which is read as the other side's type."""
    def against(row: Row) -> Any:
        value = _scalar(side(row))
        if value is None:
            return None
        value, literal = _against_literal(value, text)
        if literal is None:
            return None
        try:
            return compare(literal, value) if literal_first else compare(value, literal)
        except TypeError:
            return None

    return against

def _against_literal(value: Any, text: str) -> tuple[Any, Any]:
    """A string literal compared with a value takes the value's type, as ES|QL's implicit casting does: a
    boolean ("true"/"false" in any case, anything else is null), a date (epoch milliseconds; both sides
    when the value is a date string, as documents hold dates)."""
    if value.__class__ is bool:
        low = text.lower()
        return value, True if low == "true" else False if low == "false" else None
    if value.__class__ is str:
        if value != text and _DATE.match(text) and _DATE.match(value):
            a, b = to_millis(value), to_millis(text)
            if a is not None and b is not None:
                return a, b
        return value, text
    return _date_aware(value, text)


_DAY = 86_400_000
_LONG_RANGE = (-2**63, 2**63 - 1)


def _calendar(span: Any) -> tuple[int, int] | None:
    """A span as Java's Period holds it, (months, days); None for a time duration (hours and less)."""
    if isinstance(span, Period):
        return span.months, span.days
    if span.days and span.millis == span.days * _DAY:  # `2 weeks`, `1 day`: periods in Elasticsearch
        return 0, span.days
    return None


def _span_arith(op: str, a: Any, b: Any) -> Any:
    """Date arithmetic: spans added together (as Elasticsearch folds `4 years + 3 months + 1 day`), a span
    negated, or a date moved by a span (a period: months first, then days, as Java's Period adds)."""
    spans = [isinstance(v, (Period, Duration)) for v in (a, b)]
    if op == "*":  # only -x is parsed to a product with a span: the span negated
        span = a if spans[0] else b
        if (b if spans[0] else a) != -1:
            return None
        return Period(-span.months, -span.days) if isinstance(span, Period) else Duration(-span.millis, -span.days)
    if op not in ("+", "-"):
        return None
    sign = 1 if op == "+" else -1
    if all(spans):
        if isinstance(a, Duration) and isinstance(b, Duration):
            days = a.days + sign * b.days if a.days and b.days else 0
            return Duration(a.millis + sign * b.millis, days)
        left, right = _calendar(a), _calendar(b)
        if left is None or right is None:
            raise UnsupportedEsql("the local engine does not add a calendar period and a time duration together")
        return Period(left[0] + sign * right[0], left[1] + sign * right[1])
    if spans[0] and op == "-":
        return None  # a span minus a date: Elasticsearch refuses it
    span, date = (a, to_millis(b)) if spans[0] else (b, to_millis(a))
    if date is None:
        return None
    if isinstance(span, Period):
        moved = plus_months(date, sign * span.months)
        moved = None if moved is None else moved + sign * span.days * _DAY
    else:
        moved = date + sign * span.millis
    # past the long range Elasticsearch answers null (long overflow), as for a year past Java's
    return moved if moved is not None and _LONG_RANGE[0] <= moved <= _LONG_RANGE[1] else None


def _arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, (Period, Duration)) or isinstance(b, (Period, Duration)):
        return _span_arith(op, a, b)
    if op == "/":
        if not b:
            return None
        if isinstance(a, int) and isinstance(b, int):
            return in_long(-(-a // b) if (a < 0) != (b < 0) else a // b)  # integer division truncates
        quotient = a / b
        return quotient if math.isfinite(quotient) else None
    if op == "%":
        if not b:
            return None
        if isinstance(a, int) and isinstance(b, int):  # Java's %: the sign of the dividend, exact
            remainder = abs(a) % abs(b)
            return -remainder if a < 0 else remainder
        return math.fmod(a, b)
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    else:
        result = a * b
    if result.__class__ is float and not math.isfinite(result):
        return None  # a double that overflows: null (Elasticsearch warns)
    return in_long(result)


_INT = (-2**31, 2**31 - 1)
_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class Compiler:
    """Expressions to functions of a row. `clock` gives NOW(). An expression's value is all its values (a
    list when multi-valued, as ES|QL's blocks hold them); single-value contexts (comparisons, arithmetic,
    functions that are not MV_ or conversions) read a multi-valued one as null."""

    def __init__(self, clock: Clock | None = None, types: Types | None = None):
        self.clock = clock or time.time
        self.types: Types = types or field_type  # a column's type where the expression runs

    def expr(self, node: Any) -> Expr:
        if isinstance(node, Lit):
            value = all_values(list(node.value)) if node.value.__class__ is tuple else node.value
            return lambda row: value
        if isinstance(node, Col):
            name = node.name
            if self.types(name) == "geo_point":  # an object in the document, a point in ES|QL
                return lambda row: geo_point(row, name)

            def column(row: Row) -> Any:
                value = row.get(name)
                return all_values(value) if value.__class__ is list or value.__class__ is dict else value

            return column
        if isinstance(node, Not):
            inner = self.expr(node.term)
            return lambda row: None if (v := _scalar(inner(row))) is None else not v
        if isinstance(node, IsNull):
            inner, negated = self.expr(node.term), node.negated
            if isinstance(node.term, Col) and self.types(name := node.term.name) in OBJECT_SHAPED_TYPES:
                # a geo_point or flattened field: its keys are under `field.`
                return lambda row: (inner(row) is None and all(v is None for v in values_under(row, name))) \
                    is not negated
            return lambda row: (inner(row) is None) is not negated
        if isinstance(node, InList):
            return self._in_list(node)
        if isinstance(node, Like):
            return self._like(node)
        if isinstance(node, Kql):
            from ..kql import compile_kql, parse_kql

            predicate = compile_kql(parse_kql(node.query), now=self.clock)
            return lambda row: predicate(row)
        if isinstance(node, FullText):
            return self._full_text(node)
        if isinstance(node, BinOp):
            return self._binop(node)
        if isinstance(node, Call):
            return self._call(node)
        raise TypeError(f"unexpected ES|QL node {node!r}")

    def kind(self, node: Any) -> str | None:
        """The ES|QL type of an expression's values where the query and the column types say it, else None."""
        from .columns import _Typer, esql_type

        class Columns:
            get = staticmethod(lambda name: esql_type(self.types(name)))

        return _Typer(Columns()).of(node)  # type: ignore[arg-type]

    def _full_text(self, node: FullText) -> Expr:
        """A match query, as KQL's unquoted `field: text` is one (the same typed matching): never null, so
        NOT of it holds for a row without the field."""
        from ..kql import ast as kql, compile_kql

        constant = node.text.strip().lower() in ("true", "false", "null")  # KQL constants; one word: a phrase
        predicate = compile_kql(kql.Match(node.field, kql.Literal(node.text, quoted=constant)), now=self.clock)
        return lambda row: predicate(row)

    def _in_list(self, node: InList) -> Expr:
        if len(node.items) == 1:  # x IN (v) is 8.19's x == v: null on one side only fails its verifier
            kinds = {self.kind(node.term), self.kind(node.items[0])}
            if "null" in kinds and None not in kinds and len(kinds) == 2:
                raise QueryTypeError("IN with one value: the value and the list must be of one type, null on one "
                                     "side only (Elasticsearch: `first argument of [x IN (null)] is [numeric] so "
                                     "second argument must also be [numeric] but was [null]`)")
        if _ip_typed(node.term, self.types) and all(isinstance(i, Lit) for i in node.items):
            inner, negated = self.expr(node.term), node.negated
            keys = frozenset(ip_key(i.value) for i in node.items) - {None}
            unknown = any(i.value is None for i in node.items)

            def in_ips(row: Row) -> Any:
                key = ip_key(_scalar(inner(row)))
                if key is None:
                    return None
                return (not negated) if key in keys else None if unknown else negated

            return in_ips
        if isinstance(node.term, Col) and all(isinstance(i, Lit) for i in node.items):
            # the common case: a field against literal values, as a set lookup
            name, negated = node.term.name, node.negated
            members = frozenset(i.value for i in node.items if i.value is not None)
            has_null = len(members) < len(node.items)

            # string literals take the value's type: booleans ("true", "false"), dates
            booleans = [t for t in members if isinstance(t, str) and t.lower() in ("true", "false")]
            dates = [t for t in members if isinstance(t, str) and _DATE.match(t)]

            def in_literals(row: Row) -> Any:
                value = _scalar(row.get(name))
                if value is None:
                    return None
                if value in members:
                    return not negated
                cast = booleans if value.__class__ is bool else \
                    dates if dates and (value.__class__ is not str or _DATE.match(value)) else None
                if cast and any(a == b for a, b in (_against_literal(value, t) for t in cast) if b is not None):
                    return not negated
                return None if has_null else negated  # x IN (1, null): unknown unless x is 1

            return in_literals
        inner, items, negated = self.expr(node.term), [self.expr(i) for i in node.items], node.negated

        def in_list(row: Row) -> Any:
            value = _scalar(inner(row))
            if value is None:
                return None
            candidates = [_scalar(item(row)) for item in items]
            if any(value == c for c in candidates if c is not None):
                return not negated
            return None if None in candidates else negated

        return in_list

    def _like(self, node: Like) -> Expr:
        inner = self.expr(node.term)
        if any((p == ".*") if node.regex else (p and set(p) == {"*"}) for p in node.patterns):
            # a pattern matching everything: Elasticsearch answers IS NOT NULL (so NOT LIKE "*" is IS NULL,
            # where-like.csv-spec notLikeListAllWildcard)
            negated = node.negated
            return lambda row: (inner(row) is None) is negated
        # Lucene regular expressions (by an automaton) or wildcards: neither backtracks
        if node.regex:
            try:
                test: Callable[[str], bool] = LuceneRegex(node.patterns).fullmatch
            except ValueError as exc:
                raise ValueError(f"RLIKE: {exc}") from None
        else:
            globs = [glob(p, escapes=True) for p in node.patterns]
            test = lambda text: any(g.fullmatch(text) for g in globs)  # noqa: E731
        negated = node.negated

        def like(row: Row) -> Any:
            value = _scalar(inner(row))
            if value is None:
                return None
            return test(str(value)) is not negated

        return like

    def _binop(self, node: BinOp) -> Expr:
        if node.op in _COMPARE and (_ip_typed(node.left, self.types) or _ip_typed(node.right, self.types)):
            return self._ip_compare(node)
        if node.op in _COMPARE and "version" in (_ordered_kind(node.left, self.types),
                                                 _ordered_kind(node.right, self.types)):
            return self._version_compare(node)
        if node.op in ("==", "!=") and isinstance(node.left, Col) and isinstance(node.right, Lit) \
                and isinstance(node.right.value, str):
            name, value, equal = node.left.name, node.right.value, node.op == "=="
            dated = _DATE.match(value) is not None

            def field_equals(row: Row) -> Any:
                current = _scalar(row.get(name))
                if current is None:
                    return None
                if current.__class__ is str and (current == value or not dated):
                    return (current == value) is equal
                a, b = _against_literal(current, value)
                return None if b is None else (a == b) is equal

            return field_equals
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
        if op == "and":
            def conj(row: Row) -> Any:
                a = _scalar(left(row))
                if a is False:
                    return False
                b = _scalar(right(row))
                if b is False:
                    return False
                return None if a is None or b is None else True

            return conj
        if op == "or":
            def disj(row: Row) -> Any:
                a = _scalar(left(row))
                if a is True:
                    return True
                b = _scalar(right(row))
                if b is True:
                    return True
                return None if a is None or b is None else False

            return disj
        compare = _COMPARE.get(op)
        if compare is not None and isinstance(node.right, Lit) and isinstance(node.right.value, str):
            return _against_text(left, node.right.value, compare, literal_first=False)
        if compare is not None and isinstance(node.left, Lit) and isinstance(node.left.value, str):
            return _against_text(right, node.left.value, compare, literal_first=True)

        def binary(row: Row) -> Any:
            a, b = left(row), right(row)
            if a.__class__ is list or b.__class__ is list:  # multi-valued: null (Elasticsearch warns)
                return None
            if a is None or b is None:
                return None
            try:
                if compare is not None:
                    return compare(*_date_aware(a, b))
                return _arith(op, a, b)
            except TypeError:
                return None

        if compare is None and self.kind(node.left) == self.kind(node.right) == "integer":
            # integer arithmetic overflows past 32 bits (both sides known integers: a field's own type decides)
            # (Java's int division wraps: -2147483648 / -1 is -2147483648)
            wrap = op == "/"

            def integer(row: Row) -> Any:
                value = binary(row)
                if value.__class__ is not int or _INT[0] <= value <= _INT[1]:
                    return value
                return (value + 2**31) % 2**32 - 2**31 if wrap else None

            return integer
        return binary

    def _ip_compare(self, node: BinOp) -> Expr:
        """ips compare as ips (a string literal is cast to one), not as text: 10.0.0.10 > 10.0.0.9."""
        left, right, compare = self.expr(node.left), self.expr(node.right), _COMPARE[node.op]

        def ip_compare(row: Row) -> Any:
            a, b = ip_key(_scalar(left(row))), ip_key(_scalar(right(row)))
            return None if a is None or b is None else compare(a, b)

        return ip_compare

    def _version_compare(self, node: BinOp) -> Expr:
        """versions compare as versions (a string literal is cast to one): 1.11.0 > 1.2.3, 1.0.0-alpha < 1.0.0."""
        from ..version_order import version_key

        left, right, compare = self.expr(node.left), self.expr(node.right), _COMPARE[node.op]

        def version_compare(row: Row) -> Any:
            a, b = _scalar(left(row)), _scalar(right(row))
            if a.__class__ is not str or b.__class__ is not str:
                return None
            return compare(version_key(a), version_key(b))

        return version_compare

    def _call(self, node: Call) -> Expr:
        name = node.name
        if name == "NOW":
            clock = self.clock
            return lambda row: int(clock() * 1000)
        if name == "MV_CONTAINS" and len(node.args) == 2:  # null is the empty set here, not unknown
            superset, subset = (self.all_values_of(a) for a in node.args)
            return lambda row: _contains_all(_listed(superset(row)), _listed(subset(row)))
        if name in ("MV_APPEND", "MV_ZIP") and len(node.args) in ((2,) if name == "MV_APPEND" else (2, 3)):
            return self._combine(node)
        if name in MULTI:
            return self._multi(node)
        if name == "JSON_EXTRACT" and len(node.args) == 2 and node.args[0] == Col("_source"):
            path = self.expr(node.args[1])
            return lambda row: _json_text(row.get(p)) if isinstance(p := path(row), str) else None
        if name in ("COALESCE", "CASE", "GREATEST", "LEAST"):
            self._check_same_type(node)
        args = [self.expr(a) for a in node.args]
        if name in ("COALESCE", "CASE") and _widens(node, self.types):
            # whole numbers and doubles among the values: the answer is a double (its common type)
            return _as_double(self._call(Call(name + _WIDENED, node.args)))
        name = name.removesuffix(_WIDENED)
        if name == "COALESCE":  # the first argument with a value, all its values
            return lambda row: next((v for a in args if (v := a(row)) is not None), None)
        if name == PAIR:  # FIRST/LAST's (value, sort): nothing when either is missing
            value, order = args
            return lambda row: None if (v := _scalar(value(row))) is None or (o := _scalar(order(row))) is None \
                else (v, _date_key(o))
        if name == "CASE":  # a multi-valued condition is null (not true); a branch keeps all its values
            def case(row: Row) -> Any:
                for index in range(0, len(args) - 1, 2):
                    if args[index](row) is True:
                        return args[index + 1](row)
                return args[-1](row) if len(args) % 2 else None

            return case
        if name == "ABS" and len(node.args) == 1 and self.kind(node.args[0]) == "unsigned_long":
            return self.expr(node.args[0])  # an unsigned long is its own absolute value (all of its values)
        if name == "DATE_FORMAT" and len(node.args) == 2:  # the pattern is checked once, here
            if not isinstance(node.args[0], Lit):
                raise UnsupportedEsql("the local engine runs DATE_FORMAT() with a literal pattern")
            if node.args[0].value is not None:
                date_pattern(str(node.args[0].value))
        function = SCALAR.get(name)
        if name in UNKNOWN_FUNCTIONS:  # named in other ES|QL versions, not in 8.19's function registry
            raise QueryError(f"Unknown function [{name}]")
        if function is None:
            raise UnsupportedEsql(f"the local engine does not run the ES|QL function {name}()")
        try:  # a function called with arguments it does not take is refused, not answered with null
            inspect.signature(function).bind(*node.args)
        except TypeError:
            raise UnsupportedEsql(f"the local engine does not run {name}() with {len(node.args)} arguments") from None
        except ValueError:
            pass  # a builtin without a signature (GREATEST, LEAST): any number
        span = next((a.value for a in node.args if isinstance(a, Lit) and isinstance(a.value, Period)), None)
        if name in ("DATE_TRUNC", "BUCKET") and span is not None and span.months not in (1, 3, 12):
            raise UnsupportedEsql(f"the local engine does not run {name}() to {span.months} months")
        if name == "DATE_DIFF" and node.args and isinstance(node.args[0], Lit) \
                and str(node.args[0].value).lower() not in DATE_DIFF_UNITS:
            raise UnsupportedEsql(f"the local engine does not run DATE_DIFF() in {node.args[0].value!r}")
        if name == "DATE_EXTRACT" and node.args and isinstance(node.args[0], Lit) \
                and str(node.args[0].value).lower() not in DATE_PARTS:
            # Elasticsearch refuses the query: invalid date field
            raise QueryError(f"DATE_EXTRACT(): {node.args[0].value!r} is not a date field Elasticsearch knows")
        if name == "TO_STRING" and len(args) == 1 and _is_date(node.args[0], self.types):
            function = _date_text  # a date as Elasticsearch writes it: 2025-01-01T00:00:00.000Z
        elif name in _NUMBER_CONVERSIONS and len(args) == 1 and self.kind(node.args[0]) == "date_nanos":
            raise UnsupportedEsql(f"the local engine does not run {name}() of a date_nanos value (nanoseconds "
                                  "since the epoch; it keeps milliseconds)")
        elif name in _NUMBER_CONVERSIONS and len(args) == 1 and _is_date(node.args[0], self.types):
            number = function  # a date converts as its epoch milliseconds
            function = lambda value: None if (millis := to_millis(value)) is None else number(millis)  # noqa: E731
        if name in _CONVERSIONS and len(args) == 1:
            return self._conversion(function, args[0])
        if name in _REDUCED:  # GREATEST and LEAST read each argument's largest or smallest value
            args = [_reduced(a, max if name == "GREATEST" else min) for a in args]

        def call(row: Row) -> Any:
            values = [a(row) for a in args]
            for v in values:
                if v is None or v.__class__ is list:  # a multi-valued argument: null (Elasticsearch warns)
                    return None
            try:
                result = function(*values)
            except QueryError:
                raise  # a refusal by name is a ValueError too: it is no null
            except (ValueError, TypeError, ArithmeticError, re.error):
                return None  # ES|QL answers null (with a warning) where a value does not convert
            return all_values(result) if result.__class__ is list else result  # SPLIT of one part: one value

        return call

    def _combine(self, node: Call) -> Expr:
        """MV_APPEND(a, b): a's values then b's; MV_ZIP(a, b, delimiter = ","): the values pairwise, joined
        (one left over alone). MV_APPEND with a null side is null (as Elasticsearch answers, and documents with
        MV_APPEND(birth_date, hire_date)); MV_ZIP with a null side gives the other's values."""
        first, second = self.expr(node.args[0]), self.expr(node.args[1])
        delimiter = self.expr(node.args[2]) if len(node.args) > 2 else (lambda row: ",")
        zipping = node.name == "MV_ZIP"

        def combine(row: Row) -> Any:
            left, right = _listed(first(row)), _listed(second(row))
            if not zipping:
                return all_values(left + right) if left and right else None
            joint = _scalar(delimiter(row))
            if joint is None:
                return None
            pairs = zip_longest(map(_string, left), map(_string, right))
            return all_values([f"{a}{joint}{b}" if a is not None and b is not None else a or b for a, b in pairs])

        return combine

    def _check_same_type(self, node: Call) -> None:
        """CASE, COALESCE, GREATEST and LEAST answer their first value's type: a later value of another type is
        rejected (CASE(c, 1, 2.5): "must be [integer], found [double]"; 1 then 3000000000 (a long) too), except
        a narrower number, which widens (CASE(c, 1.5, 3) is 3.0; COALESCE(a_long, 0) is a long)."""
        values = _values_of(node) if node.name in ("CASE", "COALESCE") else list(node.args)
        kinds = [k for k in (self.kind(v) for v in values) if k not in (None, "null")]
        kinds = ["keyword" if k == "text" else k for k in kinds]
        for kind in kinds[1:]:
            if kind != kinds[0] and kind not in _NARROWER.get(kinds[0], ()):
                raise QueryTypeError(f"{node.name}(): a value of type [{kind}] after one of type [{kinds[0]}] "
                                     "(Elasticsearch wants all of the first's type)")

    @staticmethod
    def _conversion(function: Any, arg: Expr) -> Expr:
        """TO_STRING, TO_LONG ... convert each value of a multi-valued argument (one that does not convert
        is left out, with a warning in Elasticsearch)."""
        def convert(value: Any) -> Any:
            try:
                return function(value)
            except QueryError:
                raise  # a refusal by name is a ValueError too: it is no null
            except (ValueError, TypeError, ArithmeticError):
                return None

        def conversion(row: Row) -> Any:
            value = arg(row)
            if value is None:
                return None
            if value.__class__ is list:
                return all_values([convert(v) for v in value])
            return convert(value)

        return conversion

    def all_values_of(self, node: Any) -> Expr:
        """An expression with all its values: a list when multi-valued (a single-value context makes it
        null), an object no value. BY, aggregate and MV_ arguments read columns this way."""
        return self.expr(node)

    def _multi(self, node: Call) -> Expr:
        function = MULTI[node.name]
        kind = _ordered_kind(node.args[0], self.types) if node.name in _IP_ORDERED and node.args else None
        if kind is not None:  # ips order as ips (by their bytes), versions as versions, not as text
            function = (_IP_ORDERED if kind == "ip" else _VERSION_ORDERED)[node.name]
        if node.name == "MV_SUM" and node.args and self.kind(node.args[0]) == "integer":
            # the sum of integers is an integer: past 32 bits it overflows to null (Elasticsearch warns)
            function = lambda values: None if not _INT[0] <= (total := sum(values)) <= _INT[1] else total  # noqa: E731
        source, *rest = [self.all_values_of(a) if index == 0 or node.name in _MULTI_ARGUMENTS
                         else (lambda row, e=self.expr(a): _scalar(e(row))) for index, a in enumerate(node.args)]

        def multi(row: Row) -> Any:
            value = source(row)
            if value is None:
                return None
            values = [v for v in (value if isinstance(value, list) else [value]) if v is not None]
            if not values:
                return None
            try:
                result = function(values, *[a(row) for a in rest])
            except QueryError:
                raise  # a refusal by name is a ValueError too: it is no null
            except (ValueError, TypeError):
                return None
            return all_values(result) if result.__class__ is list else result  # one value is a single value

        return multi


_MULTI_ARGUMENTS = {"MV_INTERSECTION"}  # every argument may be multi-valued, not just the first
# each value of a multi-valued argument in turn: type conversions, and TO_LOWER/TO_UPPER (TO_LOWER_MV)
_CONVERSIONS = {"TO_STRING", "TO_INTEGER", "TO_LONG", "TO_UNSIGNED_LONG", "TO_DOUBLE", "TO_BOOLEAN", "TO_IP",
                "TO_VERSION", "TO_DATETIME", "TO_GEOPOINT", "TO_LOWER", "TO_UPPER", "TO_DEGREES",
                "TO_RADIANS"}
_REDUCED = {"GREATEST", "LEAST"}


_WIDENED = "\0widened"
_DOUBLE_TYPES = {"double", "float", "half_float", "scaled_float"}
_WHOLE_TYPES = {"long", "integer", "short", "byte", "unsigned_long"}
_DOUBLE_FUNCTIONS = {"TO_DOUBLE", "MV_AVG", "SQRT", "POW", "LOG10", "LOG", "SIGNUM", "ST_X", "ST_Y", "ST_DISTANCE"}
_WHOLE_FUNCTIONS = {"TO_INTEGER", "TO_LONG", "LENGTH", "MV_COUNT", "LOCATE", "DATE_DIFF"}
_SAME_AS_ARGUMENT = {"ABS", "ROUND", "FLOOR", "CEIL", "MV_MIN", "MV_MAX", "MV_SUM", "MV_FIRST", "MV_LAST", "GREATEST",
                     "LEAST"}


def _numeric_kind(node: Any, types: Types = field_type) -> str | None:
    """"double", "whole" or None (not a number, or not known before the data): a value's type where the
    query alone says it."""
    if isinstance(node, Lit):
        value = node.value
        return None if isinstance(value, bool) else "double" if isinstance(value, float) else \
            "whole" if isinstance(value, int) else None
    if isinstance(node, Col):
        kind = types(node.name)
        return "double" if kind in _DOUBLE_TYPES else "whole" if kind in _WHOLE_TYPES else None
    if isinstance(node, BinOp) and node.op in ("+", "-", "*", "/", "%"):
        kinds = {_numeric_kind(node.left, types), _numeric_kind(node.right, types)}
        return "double" if "double" in kinds else "whole" if kinds == {"whole"} else None
    if isinstance(node, Call):
        if node.name in _DOUBLE_FUNCTIONS:
            return "double"
        if node.name in _WHOLE_FUNCTIONS:
            return "whole"
        if node.name in _SAME_AS_ARGUMENT and node.args:
            return _numeric_kind(node.args[0], types)
        if node.name in ("CASE", "COALESCE"):
            kinds = {_numeric_kind(v, types) for v in _values_of(node)}
            return "double" if "double" in kinds else "whole" if kinds == {"whole"} else None
    return None


_DATE_FUNCTIONS = {"TO_DATETIME", "DATE_TRUNC", "NOW"}
_NUMBER_CONVERSIONS = {"TO_LONG", "TO_INTEGER", "TO_DOUBLE", "TO_UNSIGNED_LONG"}


def _is_date(node: Any, types: Types = field_type) -> bool:
    """Whether an expression's values are dates where the query alone says it (a date field, TO_DATETIME,
    DATE_TRUNC, a date plus or minus a span)."""
    if isinstance(node, Col):
        return types(node.name) in ("date", "date_nanos")
    if isinstance(node, Call):
        return node.name in _DATE_FUNCTIONS or (node.name == "BUCKET" and len(node.args) == 2
                                                and isinstance(node.args[1], Lit)
                                                and isinstance(node.args[1].value, (Duration, Period)))
    if isinstance(node, BinOp) and node.op in ("+", "-"):
        spans = [isinstance(n, Lit) and isinstance(n.value, (Duration, Period)) for n in (node.left, node.right)]
        return (spans[1] and _is_date(node.left, types)) or (spans[0] and node.op == "+" and _is_date(node.right, types))
    return False


def _date_text(value: Any) -> str:
    millis = to_millis(value)
    if millis is None:
        raise ValueError("not a date")
    return date_text(millis)


def _values_of(node: Call) -> list:
    """The arguments a CASE or COALESCE can answer with."""
    if node.name == "COALESCE":
        return list(node.args)
    return list(node.args[1::2]) + ([node.args[-1]] if len(node.args) % 2 else [])


_NARROWER = {"double": ("integer", "long"), "long": ("integer",)}


def _widens(node: Call, types: Types = field_type) -> bool:
    """Whether a CASE or COALESCE mixes whole numbers and doubles among its values."""
    kinds = {_numeric_kind(v, types) for v in _values_of(node)}
    return {"double", "whole"} <= kinds


def _as_double(expr: Expr) -> Expr:
    def double(value: Any) -> Any:
        return float(value) if value.__class__ is int else value

    def widened(row: Row) -> Any:
        value = expr(row)
        return [double(v) for v in value] if value.__class__ is list else double(value)

    return widened


def _reduced(arg: Expr, reduce: Callable[[list], Any]) -> Expr:
    return lambda row: v if (v := arg(row)).__class__ is not list else reduce(v)


def _contains_all(superset: list, subset: list) -> bool:
    try:
        return set(subset) <= set(superset)
    except TypeError:  # objects as values (untyped local data): compared one by one
        return all(item in superset for item in subset)


def _listed(value: Any) -> list:
    """A value as the list of its values (null: none)."""
    if value is None:
        return []
    return [v for v in value if v is not None] if isinstance(value, list) else [value]


def compile_expr(node: Any, clock: Clock | None = None) -> Expr:
    return Compiler(clock).expr(node)
