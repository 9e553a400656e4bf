"""EQL expressions compiled to Python predicates with Elasticsearch's semantics.

Where the `eql` package's own PythonEngine differs from Elasticsearch, this follows Elasticsearch:
`==`, `!=` and `in` are case-sensitive on keyword fields; `:`, `in~`, `like~` and `func~()` are not; a
missing field is `null`; a comparison with `null` is `null`, and a `where` that is `null` does not match.
Elasticsearch runs the condition as a query: each comparison of a field with a constant is a term (or range,
wildcard, prefix) query, `!=` and `not` are must_not clauses around one. So `not` complements what matched
(an event without the field matches `not x == "a"`), and `x != "a"` is `not x == "a"`: it matches events
without `x`, and none whose `x` holds "a" among other values.
The eql package's tree drops the `~` marks, so they are read from its parse tree first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import cached_grammar  # noqa: F401  (before eql: its grammar, cached)
from eql import ast
from eql.parser import lark_parser
from lark import Token

from ..documents import values_under
from .exceptions import EqlTypeError, UnsupportedEql
from .parser import EqlQuery, EqlQueryError, field_name
from ..fields import OBJECT_SHAPED_TYPES, field_type
from ..glob import glob
from ..lucene_regex import LuceneRegex
from . import functions
from .typed import typed_comparison, values as _values

Event = Mapping[str, Any]
Expr = Callable[[Event], Any]


def _case_marks(text: str, tree: Any = None) -> tuple[list[bool], list[bool]]:
    """For InSet nodes and for string predicates/function calls, in source order: is it case-insensitive?"""
    tree = tree or lark_parser.parse(text, start="piped_query")
    insets: list[bool] = []
    calls: list[bool] = []
    for node in tree.iter_subtrees_topdown():
        if node.data in ("in_set", "not_in_set"):
            insets.append(any(isinstance(t, Token) and str(t) == "in~" for t in node.children))
        elif node.data == "string_predicate":
            op = next(str(t) for t in node.children if isinstance(t, Token))
            calls.append(op == ":" or op.endswith("~"))
        elif node.data == "function_call":
            name = next(str(t) for t in node.children if isinstance(t, Token))
            calls.append(name.endswith("~"))
    return insets, calls


def _ordered(node: Any, seen: set[int], kind: Any) -> list:
    out: list = []
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, kind):
        out.append(node)
    if isinstance(node, ast.BaseNode):
        for slot in node.__slots__:
            out += _ordered(getattr(node, slot, None), seen, kind)
    elif isinstance(node, (list, tuple)):
        for item in node:
            out += _ordered(item, seen, kind)
    return out


def insensitive_nodes(query: EqlQuery) -> set[int]:
    """ids of the InSet and FunctionCall nodes of the tree that were written case-insensitively (computed
    once per parsed query: every compile of the rule reads the same tree)."""
    cached = query.__dict__.get("_insensitive")
    if cached is None:
        cached = query.__dict__["_insensitive"] = _insensitive_nodes(query)
    return cached


def _insensitive_nodes(query: EqlQuery) -> set[int]:
    inset_marks, call_marks = _case_marks(query.text, query.lark_tree)
    insets = _ordered(query.tree, set(), ast.InSet)
    calls = _ordered(query.tree, set(), ast.FunctionCall)
    if len(insets) != len(inset_marks) or len(calls) != len(call_marks):
        raise UnsupportedEql("cannot line up the query's case-insensitive operators with its syntax tree")
    return {id(n) for n, mark in zip(insets, inset_marks) if mark} | {id(n) for n, m in zip(calls, call_marks) if m}


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class Compiler:
    def __init__(self, query: EqlQuery, types: Callable[[str], "str | None"] | None = None,
                 absent: frozenset[str] | None = None):
        self.insensitive = insensitive_nodes(query)
        self.types = types or field_type  # field -> mapped type (default: the field catalogue)
        # the optional fields the searched index lacks (None: not known, as for a rule's query before any
        # search): Elasticsearch makes each a null in a condition, which decides a comparison of two fields
        self.absent = absent

    def predicate(self, node: Any) -> Callable[[Event], bool]:
        expr = self.expr(node)
        return lambda event: expr(event) is True

    def expr(self, node: Any) -> Expr:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise UnsupportedEql(f"the local engine does not run EQL {type(node).__name__}: {node}")
        return method(node)

    # literals and fields
    def _String(self, node: Any) -> Any:
        value = node.value
        return lambda event: value

    def _Number(self, node: Any) -> Any:
        value = node.value
        return lambda event: value

    def _Boolean(self, node: Any) -> Any:
        value = node.value
        return lambda event: value

    def _Null(self, node: Any) -> Any:
        return lambda event: None

    def _Field(self, node: Any) -> Any:
        name = field_name(node)
        return lambda event: event.get(name)

    # logic, three-valued
    def _And(self, node: Any) -> Any:
        return self._junction(node.terms, decisive=False)

    def _Or(self, node: Any) -> Any:
        return self._junction(node.terms, decisive=True)

    def _junction(self, terms: Any, decisive: bool) -> Any:
        """`and` (a false term decides) or `or` (a true one does), three-valued: without a deciding term, a
        null term makes the whole null."""
        parts = [self.expr(t) for t in terms]

        def junction(event: Event) -> Any:
            unknown = False
            for part in parts:
                value = part(event)
                if value is decisive:
                    return decisive
                if value is None:
                    unknown = True
            return None if unknown else not decisive

        return junction

    def _Not(self, node: Any) -> Any:
        inner = self.expr(node.term)
        return lambda event: inner(event) is not True  # must_not: what did not match, null included

    def _IsNull(self, node: Any) -> Any:
        exists = self._exists(node.expr)
        return lambda event: not exists(event)

    def _IsNotNull(self, node: Any) -> Any:
        return self._exists(node.expr)

    def _exists(self, node: Any) -> Callable[[Event], bool]:
        """`x != null`: an exists query, which a geo_point or flattened field (an object in the document,
        keys under `x.` in the event) passes when one of its keys has a value."""
        inner = self.expr(node)
        if isinstance(node, ast.Field) and self.types(name := field_name(node)) in OBJECT_SHAPED_TYPES:
            return lambda event: bool(_values(inner(event))) or any(_values(v) for v in values_under(event, name))
        return lambda event: bool(_values(inner(event)))

    def _Comparison(self, node: Any) -> Any:
        if _has_field(node.left) and _has_field(node.right):
            return self._field_comparison(node)
        constant = (ast.String, ast.Number, ast.Boolean)
        if node.comparator == "!=" and (isinstance(node.left, ast.Field) and isinstance(node.right, constant)
                                        or isinstance(node.right, ast.Field) and isinstance(node.left, constant)):
            # a field against a constant is a query: must_not of the term query of ==
            equal = self._Comparison(ast.Comparison(node.left, "==", node.right))
            return lambda event: equal(event) is not True
        typed = typed_comparison(node, self.types)
        if typed is not None:
            return typed
        if node.comparator == "==" and isinstance(node.left, ast.Field) and isinstance(node.right, ast.String):
            return self._string_equality(node)
        return self._comparison(node)

    def _field_comparison(self, node: Any) -> Any:
        """A field compared with a field, which only an optional field the index lacks makes a query: in a
        condition Elasticsearch replaces it with null, then `a == null` with `a is null` and `a != null` with
        `not a is null` (its optimizer's ReplaceNullChecks), so `?x == ?y` holds for every event when the index
        has neither. Where both are fields it fails the query ("Comparisons against fields are not (currently)
        supported")."""
        offender = f"Comparisons against fields are not (currently) supported; offender [{node.right}] in " \
                   f"[{node.comparator}]"
        if self.absent is None:
            raise UnsupportedEql(f"comparing fields where one may be an optional field the index lacks ({offender})")
        if not (isinstance(node.left, ast.Field) and isinstance(node.right, ast.Field)):
            raise UnsupportedEql(f"`{node}`: a function or arithmetic of fields compared with fields ({offender})")
        missing = [isinstance(side, ast.Field) and field_name(side) in self.absent for side in (node.left, node.right)]
        if not any(missing):
            raise EqlQueryError(offender, None, None)
        if node.comparator not in ("==", "!="):
            raise UnsupportedEql(f"`{node}`: an order comparison with an optional field the index lacks (a null)")
        equal = node.comparator == "=="
        if all(missing):  # null == null: `null is null`
            return lambda event: equal
        present = node.right if missing[0] else node.left
        return self._IsNull(ast.IsNull(present)) if equal else self._IsNotNull(ast.IsNotNull(present))

    def _string_equality(self, node: Any) -> Any:
        name, text = field_name(node.left), node.right.value
        general = self._comparison(node)

        def string_equality(event: Event) -> Any:
            value = event.get(name)
            if value.__class__ is str:
                return value == text
            if value is None:
                return None
            return general(event)

        return string_equality

    def _comparison(self, node: Any) -> Any:
        left, right = self.expr(node.left), self.expr(node.right)
        op = node.comparator
        compare = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }[op]

        def comparison(event: Event) -> Any:
            lefts, rights = _values(left(event)), _values(right(event))
            if not lefts or not rights:
                return None
            try:
                if op == "!=":
                    return all(compare(a, b) for a in lefts for b in rights)
                return any(compare(a, b) for a in lefts for b in rights)
            except TypeError:
                return None

        return comparison

    def _InSet(self, node: Any) -> Any:
        target = self.expr(node.expression)
        insensitive = id(node) in self.insensitive
        kind = self.types(field_name(node.expression)) if isinstance(node.expression, ast.Field) else None
        if kind in ("ip", "date", "date_nanos") and node.container \
                and all(isinstance(c, (ast.String, ast.Number)) for c in node.container):
            # a terms query on the field: each value as that type parses it (an address or block, a date)
            typed = [typed_comparison(ast.Comparison(node.expression, "==", c), self.types) for c in node.container]
            tests = [t for t in typed if t is not None]
            if len(tests) < len(typed):
                raise EqlTypeError(f"`{node}`: a number among the values of the ip field (Elasticsearch fails it)")

            def in_ip_set(event: Event) -> Any:
                results = [t(event) for t in tests]
                return True if True in results else (None if None in results else False)

            return in_ip_set
        if not all(isinstance(c, (ast.String, ast.Number, ast.Boolean)) for c in node.container):
            members_of = [self.expr(c) for c in node.container]

            def in_dynamic_set(event: Event) -> Any:
                values = _values(target(event))
                if not values:
                    return None
                members = {_fold(m) if insensitive else m for f in members_of for m in _values(f(event))}
                return any((_fold(v) if insensitive else v) in members for v in values)

            return in_dynamic_set
        members = {(_fold(c.value) if insensitive else c.value) for c in node.container}

        if isinstance(node.expression, ast.Field) and not insensitive:
            name = field_name(node.expression)

            def in_string_set(event: Event) -> Any:
                value = event.get(name)
                if value.__class__ is str:
                    return value in members
                values = _values(value)
                return any(v in members for v in values) if values else None

            return in_string_set

        def in_set(event: Event) -> Any:
            values = _values(target(event))
            if not values:
                return None
            if insensitive:
                return any(_fold(v) in members for v in values)
            return any(v in members for v in values)

        return in_set

    def _MathOperation(self, node: Any) -> Any:
        left, right = self.expr(node.left), self.expr(node.right)
        operate = functions.MATH_OPERATORS[node.operator]
        return lambda event: operate(left(event), right(event))

    def _FunctionCall(self, node: Any) -> Any:
        insensitive = id(node) in self.insensitive
        name = node.name
        if name in ("wildcard", "startsWith", "endsWith", "stringContains", "match"):
            return self._string_function(node, name, insensitive)
        args = [self.expr(a) for a in node.arguments]
        if name == "cidrMatch":
            return lambda event: functions.cidr_match(*(a(event) for a in args))
        if name == "between":
            return lambda event: functions.between(*(a(event) for a in args), insensitive=insensitive)  # type: ignore[misc]
        if name == "indexOf":
            return lambda event: functions.index_of(*(a(event) for a in args), insensitive=insensitive)  # type: ignore[misc]
        function = functions.VALUE_FUNCTIONS.get(name)
        if function is None:
            raise UnsupportedEql(f"the EQL function {name}()")
        return lambda event: function(*(a(event) for a in args))

    def _string_function(self, node: Any, name: Any, insensitive: Any) -> Any:
        first = node.arguments[0]
        if isinstance(first, ast.Field) and self.types(field_name(first)) == "ip":
            raise EqlTypeError(f"{name} on the ip field {field_name(first)}: Elasticsearch takes text fields only "
                                 "(use `==` with an address or CIDR block, or cidrMatch)")
        source = self.expr(node.arguments[0])
        patterns = node.arguments[1:]
        if all(isinstance(p, ast.String) for p in patterns):
            test = _string_test(name, [p.value for p in patterns], insensitive)
        else:
            if name in ("wildcard", "match"):
                raise UnsupportedEql("`like`/`regex` with a field as the pattern (Elasticsearch needs constants)")
            pattern_exprs = [self.expr(p) for p in patterns]

            def call_dynamic(event: Event) -> Any:
                texts = [t for p in pattern_exprs for t in _values(p(event)) if isinstance(t, str)]
                values = [v for v in _values(source(event)) if isinstance(v, str)]
                if not values or not texts:
                    return None
                dynamic = _string_test(name, texts, insensitive)
                return any(dynamic(v) for v in values)

            return call_dynamic

        def call(event: Event) -> Any:
            values = [v for v in _values(source(event)) if isinstance(v, str)]
            if not values:
                return None
            return any(test(v) for v in values)

        return call


def _has_field(node: Any) -> bool:
    """Whether an expression reads a field (the comparisons Elasticsearch takes have a constant on one side)."""
    return bool(_ordered(node, set(), ast.Field))


def _string_test(name: str, texts: list[str], insensitive: bool) -> Callable[[str], bool]:
    if name == "wildcard":
        regexes = [glob(t, insensitive) for t in texts]
        return lambda v: any(r.fullmatch(v) for r in regexes)
    if name == "match":  # `regex`: Lucene regular expressions match the whole value
        try:
            return LuceneRegex(texts, insensitive).fullmatch
        except ValueError as exc:
            raise UnsupportedEql(f"`regex`: {exc}") from None
    wanted = [_fold(t) if insensitive else t for t in texts]
    method = {"startsWith": str.startswith, "endsWith": str.endswith,
              "stringContains": lambda s, sub: sub in s}[name]
    return lambda v: any(method(_fold(v) if insensitive else v, w) for w in wanted)


def compile_event_query(query: EqlQuery, node: ast.EventQuery, compiler: Compiler | None = None,
                        category_field: str = "event.category") -> Any:
    """Predicate for one `any where ...` (or `<category> where ...`) clause; the category is read from
    `category_field` (the rule's event_category_override)."""
    compiler = compiler or Compiler(query)
    where = compiler.predicate(node.query)
    if node.event_type in ("any", None):
        return where
    category = node.event_type
    return lambda event: category in _values(event.get(category_field)) and where(event)
