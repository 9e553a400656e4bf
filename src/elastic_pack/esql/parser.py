"""A parser for the ES|QL subset: source command, then piped processing commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYWORDS = {"from", "where", "eval", "stats", "by", "keep", "sort", "limit", "and", "or", "not", "is", "null",
            "in", "like", "true", "false", "asc", "desc", "metadata", "as", "rename", "nulls", "first", "last"}
_TOKEN = re.compile(r"""
    (?P<ws>\s+|//[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<quoted>`[^`]+`)
  | (?P<ident>[A-Za-z_@][\w.@*\-]*)
  | (?P<op>==|!=|<=|>=|[<>=|,()*+\-/])
""", re.VERBOSE)


class EsqlSyntaxError(ValueError):
    def __init__(self, message: str, text: str, offset: int):
        self.reason = message
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"{message} (line {self.line}, column {self.column})")


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    offset: int


# expression nodes
@dataclass(frozen=True)
class Lit:
    value: object


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    term: object


@dataclass(frozen=True)
class IsNull:
    term: object
    negated: bool


@dataclass(frozen=True)
class InList:
    term: object
    items: tuple
    negated: bool


@dataclass(frozen=True)
class Like:
    term: object
    pattern: str
    negated: bool


# commands
@dataclass(frozen=True)
class Where:
    condition: object


@dataclass(frozen=True)
class Eval:
    assignments: tuple  # (name, expr)


@dataclass(frozen=True)
class Stats:
    aggregates: tuple  # (name, function, argument expr or None for *)
    by: tuple  # (name, expr)


@dataclass(frozen=True)
class Keep:
    names: tuple


@dataclass(frozen=True)
class Sort:
    keys: tuple  # (name, descending)


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass
class EsqlQuery:
    text: str
    sources: tuple
    commands: list
    fields: set[str] = field(default_factory=set)  # source fields read (not the ones EVAL/STATS create)

    @property
    def stats(self) -> Stats | None:
        return next((c for c in self.commands if isinstance(c, Stats)), None)


def _tokens(text: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise EsqlSyntaxError(f"unexpected character {text[pos]!r}", text, pos)
        kind = match.lastgroup
        if kind != "ws":
            value = match.group()
            assert kind is not None  # every alternative of the pattern is named
            if kind == "ident" and value.lower() in KEYWORDS:
                kind = value.lower()
            out.append(Tok(kind, value, pos))
        pos = match.end()
    out.append(Tok("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
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

    def name(self) -> str:
        tok = self.peek()
        if tok.kind == "ident":
            self.i += 1
            return tok.text
        if tok.kind == "quoted":
            self.i += 1
            return tok.text[1:-1]
        raise self.error("expected a field name")

    def parse(self) -> EsqlQuery:
        self.take("from")
        sources = [self.take("ident").text]
        while self.accept("op", ","):
            sources.append(self.take("ident").text)
        if self.accept("metadata"):
            self.name()
            while self.accept("op", ","):
                self.name()
        commands = []
        while self.accept("op", "|"):
            commands.append(self.command())
        if self.peek().kind != "end":
            raise self.error("expected '|' or the end of the query")
        return EsqlQuery(self.text, tuple(sources), commands, self.read)

    def command(self):
        tok = self.peek()
        if self.accept("where"):
            return Where(self.expr())
        if self.accept("eval"):
            assignments = [self.assignment()]
            while self.accept("op", ","):
                assignments.append(self.assignment())
            return Eval(tuple(assignments))
        if self.accept("stats"):
            aggregates = [self.aggregate()]
            while self.accept("op", ","):
                aggregates.append(self.aggregate())
            by = []
            if self.accept("by"):
                by.append(self.group())
                while self.accept("op", ","):
                    by.append(self.group())
            self.defined |= {a[0] for a in aggregates} | {b[0] for b in by}
            return Stats(tuple(aggregates), tuple(by))
        if self.accept("keep"):
            names = [self.name()]
            while self.accept("op", ","):
                names.append(self.name())
            return Keep(tuple(names))
        if self.accept("sort"):
            keys = [self.sort_key()]
            while self.accept("op", ","):
                keys.append(self.sort_key())
            return Sort(tuple(keys))
        if self.accept("limit"):
            return Limit(int(self.take("number").text))
        raise EsqlSyntaxError(f"unsupported ES|QL command {tok.text!r} (supported: WHERE, EVAL, STATS, KEEP, "
                              "SORT, LIMIT)", self.text, tok.offset)

    def sort_key(self):
        name = self.name()
        descending = False
        if self.accept("desc"):
            descending = True
        else:
            self.accept("asc")
        return name, descending

    def assignment(self):
        name = self.name()
        self.take("op", "=")
        expr = self.expr()
        self.defined.add(name)
        return name, expr

    def aggregate(self):
        if self.peek(1).text == "=":
            name = self.name()
            self.take("op", "=")
        else:
            name = None
        func = self.take("ident").text.upper()
        if func not in ("COUNT", "SUM", "MIN", "MAX", "AVG", "COUNT_DISTINCT", "VALUES"):
            raise EsqlSyntaxError(f"unsupported aggregate {func}", self.text, self.toks[self.i - 1].offset)
        self.take("op", "(")
        arg = None
        if not self.accept("op", "*"):
            arg = self.expr()
        self.take("op", ")")
        if name is None:
            name = f"{func}({'*' if arg is None else self.text_of(arg)})"
        return name, func, arg

    def text_of(self, node) -> str:
        return node.name if isinstance(node, Col) else "expr"

    def group(self):
        if self.peek(1).text == "=":
            name = self.name()
            self.take("op", "=")
            return name, self.expr()
        expr = self.primary()
        if not isinstance(expr, Col):
            raise self.error("BY takes field names or name = expression")
        return expr.name, expr

    # expressions
    def expr(self):
        node = self.and_expr()
        while self.accept("or"):
            node = BinOp("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.accept("and"):
            node = BinOp("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.accept("not"):
            return Not(self.not_expr())
        return self.predicate()

    def predicate(self):
        left = self.additive()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.i += 1
            return BinOp(tok.text, left, self.additive())
        if self.accept("is"):
            negated = self.accept("not")
            self.take("null")
            return IsNull(left, negated)
        negated = False
        if tok.kind == "not" and self.peek(1).kind in ("in", "like"):
            self.i += 1
            negated = True
        if self.accept("in"):
            self.take("op", "(")
            items = [self.additive()]
            while self.accept("op", ","):
                items.append(self.additive())
            self.take("op", ")")
            return InList(left, tuple(items), negated)
        if self.accept("like"):
            return Like(left, _unquote(self.take("string").text), negated)
        return left

    def additive(self):
        node = self.multiplicative()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            node = BinOp(op, node, self.multiplicative())
        return node

    def multiplicative(self):
        node = self.primary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            op = self.take().text
            node = BinOp(op, node, self.primary())
        return node

    def primary(self):
        tok = self.peek()
        if self.accept("op", "("):
            node = self.expr()
            self.take("op", ")")
            return node
        if tok.kind == "string":
            self.i += 1
            return Lit(_unquote(tok.text))
        if tok.kind == "number":
            self.i += 1
            return Lit(float(tok.text) if "." in tok.text else int(tok.text))
        if tok.kind in ("true", "false"):
            self.i += 1
            return Lit(tok.kind == "true")
        if tok.kind == "null":
            self.i += 1
            return Lit(None)
        if tok.kind == "ident" and self.peek(1).text == "(":
            self.i += 2
            args = []
            if not self.accept("op", ")"):
                args.append(self.expr())
                while self.accept("op", ","):
                    args.append(self.expr())
                self.take("op", ")")
            return Call(tok.text.upper(), tuple(args))
        if tok.kind in ("ident", "quoted"):
            name = self.name()
            if name not in self.defined:
                self.read.add(name)
            return Col(name)
        raise self.error("expected a value, a field or a function")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_esql(text: str) -> EsqlQuery:
    return _Parser(text).parse()
