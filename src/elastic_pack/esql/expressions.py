"""ES|QL expressions compiled to functions of a row, with ES|QL's semantics: an expression's value is all its
values (a list when multi-valued, a one-element array a single value); comparisons, arithmetic and
single-value functions read a multi-valued one as null, while IS NULL, CASE and COALESCE branches, type
conversions, MV_ functions and aggregates keep every value. Null propagates, dates compare and move as epoch
milliseconds, string literals take the compared value's type, three-valued AND/OR/NOT and IN."""

from __future__ import annotations

import inspect
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
from .ast import BinOp, Call, Col, FullText, InList, IsNull, Kql, Like, Lit, Not, Period
from .functions import DATE_DIFF_UNITS, DATE_PARTS, MULTI, SCALAR, UNKNOWN_FUNCTIONS, _string, to_millis
from .date_format import compile_pattern as date_pattern
from .geo import geo_point
from .ordering import _IP_ORDERED, _VERSION_ORDERED, _ip_typed, _ordered_kind, ip_key
from .lexer import UnsupportedEsql
from .numeric import round_to, round_whole, unsigned_arith, unsigned_sum
from .parser import PAIR
from .values import date_text

Row = dict
Expr = Callable[[Row], Any]
Clock = Callable[[], float]  # epoch seconds: `NOW()` of the run evaluating the query
Types = Callable[[str], "str | None"]  # a column's name -> its type (None: not known before the data)
from .operands import (_DATE, _scalar, _flat, all_values, _json_text, _date_key, _date_aware, _against_text, _against_literal, _DAY, _LONG_RANGE, _calendar, _span_arith, _arith, _INT, _COMPARE)  # noqa: F401  (evaluate and others import them here)
from .static_kinds import (_DATE_FUNCTIONS, _DOUBLE_FUNCTIONS, _DOUBLE_TYPES, _NARROWER, _NUMBER_CONVERSIONS, _SAME_AS_ARGUMENT, _WHOLE_FUNCTIONS, _WHOLE_TYPES, _WIDENED, _as_double, _contains_all, _date_text, _is_date, _listed, _numeric_kind, _reduced, _values_of, _widens)  # noqa: F401


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
                value = row.get(name)
                if value.__class__ is list or value.__class__ is dict:
                    value = _scalar(value)
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

    def _junction(self, node: BinOp) -> Expr:
        """AND and OR with three-valued logic. A chain of one operator (`a AND b AND c`, however nested)
        becomes one loop over its terms, in their order, stopping where the nested pairs would stop (the
        first false for AND, the first true for OR): the same terms are evaluated, one call per term instead
        of one per pair. A term's value is read as a single value (_scalar) only when it is a list or an
        object; a condition's true, false or null is its own single value."""
        op = node.op
        terms: list = []
        pending: list[Any] = [node]
        while pending:  # the chain's terms, left to right
            current = pending.pop()
            if isinstance(current, BinOp) and current.op == op:
                pending += (current.right, current.left)
            else:
                terms.append(self.expr(current))
        stop = op == "or"  # the value that decides the chain (true for OR, false for AND)
        other = not stop

        def junction(row: Row) -> Any:
            unknown = False
            for term in terms:
                value = term(row)
                if value.__class__ is list or value.__class__ is dict:
                    value = _scalar(value)
                if value is stop:
                    return stop
                if value is None:
                    unknown = True
            return None if unknown else other

        return junction

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
                current = row.get(name)
                if current.__class__ is list or current.__class__ is dict:
                    current = _scalar(current)
                if current is None:
                    return None
                if current.__class__ is str and (current == value or not dated):
                    return (current == value) is equal
                a, b = _against_literal(current, value)
                return None if b is None else (a == b) is equal

            return field_equals
        if node.op in ("and", "or"):
            return self._junction(node)
        left, right, op = self.expr(node.left), self.expr(node.right), node.op
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

        kinds = (self.kind(node.left), self.kind(node.right))
        if compare is None and "unsigned_long" in kinds:  # 0 to 2^64 - 1, null past it (not a long's range)
            if kinds != ("unsigned_long", "unsigned_long"):
                raise QueryTypeError(f"[{op}] has arguments with incompatible types [{kinds[0]}] and [{kinds[1]}]")

            return _of_single_values(left, right, lambda a, b: unsigned_arith(op, a, b))
        if compare is None and kinds == ("integer", "integer"):
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

    def _round_whole(self, node: Call) -> Expr:
        """ROUND of an integer, long or unsigned long, exact (numeric.round_whole), not through a double."""
        kind = str(self.kind(node.args[0]))
        value = self.expr(node.args[0])
        digits = self.expr(node.args[1]) if len(node.args) == 2 else (lambda row: 0)
        return _of_single_values(value, digits, lambda v, d: round_whole(v, d, kind))

    def _date_parse(self, node: Call) -> Expr:
        """DATE_PARSE(pattern, string) with a literal pattern (checked once, here), or DATE_PARSE(string)."""
        from .date_parse import _compile, date_parse

        if len(node.args) not in (1, 2):
            raise UnsupportedEsql(f"the local engine does not run DATE_PARSE() with {len(node.args)} arguments")
        if len(node.args) == 1:
            text = self.expr(node.args[0])
            return lambda row: None if (v := text(row)) is None or v.__class__ is list else date_parse(v, one=True)
        if not isinstance(node.args[0], Lit):
            raise UnsupportedEsql("the local engine runs DATE_PARSE() with a literal pattern")
        pattern = node.args[0].value
        if pattern is not None:
            _compile(str(pattern))
        text = self.expr(node.args[1])

        def parsed(row: Row) -> Any:
            value = text(row)
            return None if value is None or value.__class__ is list else date_parse(pattern, value)

        return parsed

    def _round_to(self, node: Call) -> Expr:
        """ROUND_TO(value, point, ...): constant points (a foldable list in Elasticsearch); dates as dates."""
        from .columns import _names_read

        if len(node.args) < 2 or any(_names_read(a) for a in node.args[1:]):
            raise QueryTypeError("the points of ROUND_TO() must be constants (Elasticsearch: `second argument of "
                                 "[ROUND_TO(v, v, 3)] must be a constant`)")
        value = self.expr(node.args[0])
        points = [self.expr(a) for a in node.args[1:]]
        dated = self.kind(node.args[0]) in ("date", "date_nanos")
        if self.kind(node.args[0]) == "date_nanos":
            raise UnsupportedEsql("the local engine does not run ROUND_TO() on date_nanos")

        def rounded(row: Row) -> Any:
            v = value(row)
            found = [p(row) for p in points]
            if v is None or v.__class__ is list or any(p is None or p.__class__ is list for p in found):
                return None
            if dated:
                v, found = to_millis(v), [to_millis(p) for p in found]
                if v is None or None in found:
                    return None
                return date_text(round_to(v, *found))
            result = round_to(v, *found)
            return float(result) if double else result

        double = self.kind(node) == "double"
        return rounded

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
        if name == "ROUND" and 1 <= len(node.args) <= 2 and self.kind(node.args[0]) in _EXACT_ROUND:
            return self._round_whole(node)
        if name == "ROUND_TO":
            return self._round_to(node)
        if name == "DATE_PARSE":
            return self._date_parse(node)
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
        if name == "IS_NULL":  # 8.19's parser: a function of early versions, gone
            raise QueryError("is_null function is not supported anymore, please use 'is null'/'is not null' "
                             "predicates instead")
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
        if node.name == "MV_SUM" and node.args and self.kind(node.args[0]) == "unsigned_long":
            function = unsigned_sum
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
_EXACT_ROUND = {"integer", "long", "unsigned_long"}


def compile_expr(node: Any, clock: Clock | None = None) -> Expr:
    return Compiler(clock).expr(node)


def _of_single_values(left: Expr, right: Expr, apply: Callable[[Any, Any], Any]) -> Expr:
    """`apply` over two single values; null when either side is null or multi-valued (a function or operator
    of single values answers null for a multi-value, as Elasticsearch warns and nulls)."""

    def of_values(row: Row) -> Any:
        a, b = left(row), right(row)
        if a is None or b is None or a.__class__ is list or b.__class__ is list:
            return None
        return apply(a, b)

    return of_values
