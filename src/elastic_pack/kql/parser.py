"""A recursive-descent parser for KQL, with line and column on every error."""

from __future__ import annotations

from dataclasses import dataclass

from .ast import And, Exists, Literal, Match, Node, Not, Or, Range, ValueAnd, ValueNot, ValueOr

_SPECIAL = set('\\():<>"{}')
_KEYWORDS = {"and", "or", "not"}
_RANGE_OPS = ("<=", ">=", "<", ">")


class KqlSyntaxError(ValueError):
    def __init__(self, message: str, query: str, offset: int):
        self.offset = offset
        self.line = query.count("\n", 0, offset) + 1
        self.column = offset - (query.rfind("\n", 0, offset) + 1) + 1
        self.reason = message
        super().__init__(f"{message} (line {self.line}, column {self.column})")


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", ":", "range", "and", "or", "not", "word", "quoted", "{", "}", "end"
    text: str
    offset: int


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "():{}":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch in "<>":
            op = query[i : i + 2] if query[i + 1 : i + 2] == "=" else ch
            tokens.append(_Token("range", op, i))
            i += len(op)
        elif ch == '"':
            start, i, chars = i, i + 1, []
            while i < n and query[i] != '"':
                if query[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(query[i])
                i += 1
            if i >= n:
                raise KqlSyntaxError("unterminated quoted string", query, start)
            tokens.append(_Token("quoted", "".join(chars), start))
            i += 1
        else:
            start, chars = i, []
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                chars.append(query[i])
                i += 1
            while i < n and query[i] == "\\" and i + 1 < n:  # escaped special characters continue the word
                chars.append(query[i + 1])
                i += 2
                while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                    chars.append(query[i])
                    i += 1
            if not chars:
                raise KqlSyntaxError(f"unexpected character {ch!r}", query, start)
            word = "".join(chars)
            kind = word.lower() if word.lower() in _KEYWORDS else "word"
            tokens.append(_Token(kind, word, start))
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _tokenize(query)
        self.pos = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self, kind: str | None = None) -> _Token:
        token = self.tokens[self.pos]
        if kind is not None and token.kind != kind:
            raise self.error(f"expected {kind!r}", token)
        self.pos += 1
        return token

    def error(self, message: str, token: _Token | None = None) -> KqlSyntaxError:
        token = token or self.peek()
        found = "end of query" if token.kind == "end" else repr(token.text)
        return KqlSyntaxError(f"{message}, found {found}", self.query, token.offset)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty query")
        node = self.or_expr()
        if self.peek().kind != "end":
            raise self.error("expected 'and', 'or' or the end of the query")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.peek().kind == "or":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.peek().kind == "and":
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.peek().kind == "not":
            self.take()
            return Not(self.not_expr())
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.take()
            node = self.or_expr()
            self.take(")")
            return node
        if token.kind != "word":
            raise self.error("expected a field name or '('")
        field = self.take().text
        nxt = self.peek()
        if nxt.kind == ":":
            self.take()
            if self.peek().kind == "{":
                raise self.error("nested field queries ({ }) are not supported")
            value = self.value_expr()
            if isinstance(value, Literal) and not value.quoted and value.text == "*":
                return Exists(field)
            return Match(field, value)
        if nxt.kind == "range":
            op = self.take().text
            value = self.peek()
            if value.kind not in ("word", "quoted"):
                raise self.error("expected a value after the range operator")
            self.take()
            return Range(field, op, Literal(value.text, value.kind == "quoted"))
        raise KqlSyntaxError(
            f"free-text term {field!r} without a field; write 'field: value' so the query means the same "
            "in Kibana and in the local engine",
            self.query,
            token.offset,
        )

    def value_expr(self) -> Node:
        token = self.peek()
        if token.kind == "(":
            self.take()
            node = self.value_or()
            self.take(")")
            return node
        return self.value_literal()

    def value_literal(self) -> Literal:
        token = self.peek()
        if token.kind not in ("word", "quoted"):
            raise self.error("expected a value")
        self.take()
        return Literal(token.text, token.kind == "quoted")

    def value_or(self) -> Node:
        items = [self.value_and()]
        while self.peek().kind == "or":
            self.take()
            items.append(self.value_and())
        return items[0] if len(items) == 1 else ValueOr(tuple(items))

    def value_and(self) -> Node:
        items = [self.value_not()]
        while self.peek().kind == "and":
            self.take()
            items.append(self.value_not())
        return items[0] if len(items) == 1 else ValueAnd(tuple(items))

    def value_not(self) -> Node:
        token = self.peek()
        if token.kind == "not":
            self.take()
            return ValueNot(self.value_not())
        if token.kind == "(":
            self.take()
            node = self.value_or()
            self.take(")")
            return node
        return self.value_literal()


def parse_kql(query: str) -> Node:
    """Parse a KQL string. Raises KqlSyntaxError with line and column."""
    return _Parser(query).parse()
