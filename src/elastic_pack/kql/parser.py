"""KQL parsed as Kibana's PEG grammar (kbn-es-query `grammar.peggy`) parses it.

What follows from that grammar and is easy to get wrong:
- `or`, `and` need white space on both sides and `not` needs white space after it: `not(a:b)` and
  `a:b and(c:d)` are syntax errors, as in Kibana; `not` applies to one sub-query (`not not a:b` is an error).
- An unquoted value runs to the next special character or keyword and may hold spaces (`a: foo bar`), trimmed.
- In unquoted text `\\t \\r \\n \\uXXXX`, an escaped special character (`\\* \\( \\: ...`) and an escaped
  keyword are literal; any other backslash ends the value (a syntax error).
- In quoted text only `\\t \\r \\n \\uXXXX \\\\ \\"` are escapes; any other backslash is kept as written,
  so `"C:\\Windows\\cmd.exe"` is the path itself. Quoted text has no wildcards.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from .ast import And, Exists, FreeText, Literal, Match, MatchAll, Nested, Node, Not, Or, Range, Wildcard
from ..errors import QuerySyntaxError

_SPECIAL = set('\\():<>"*{}')
_SPACE = set(" \t\r\n\u00a0")
# a run of characters that are plainly part of an unquoted value: not special, not a backslash, and not where a
# keyword could start (white space, `n` of `not`)
_PLAIN = re.compile(r'[^\\():<>"*{}\s\u00a0nN]+')
_WILD = object()  # the wildcard marker among a value's characters
_ESCAPED_WHITESPACE = {"t": "\t", "r": "\r", "n": "\n"}
_HEX = set("0123456789abcdefABCDEF")


class KqlSyntaxError(QuerySyntaxError):
    """KQL that Kibana's grammar rejects, located by `offset` in the query (and `line`, `column`)."""

    def __init__(self, message: str, query: str, offset: int):
        self.offset = offset
        super().__init__(message, *QuerySyntaxError.location(query, offset))


class _Fail(Exception):
    pass


class _Parser:
    def __init__(self, query: str):
        self.q = query
        self.n = len(query)
        self.furthest = 0
        self.expected: set[str] = set()
        self.literals: dict[int, tuple[Literal | Wildcard, int]] = {}

    # --- error bookkeeping: report the furthest point any alternative reached
    def fail(self, pos: int, what: str) -> NoReturn:
        if pos > self.furthest:
            self.furthest, self.expected = pos, {what}
        elif pos == self.furthest:
            self.expected.add(what)
        raise _Fail

    def spaces(self, pos: int) -> int:
        while pos < self.n and self.q[pos] in _SPACE:
            pos += 1
        return pos

    def char(self, pos: int, ch: str) -> int:
        if pos < self.n and self.q[pos] == ch:
            return pos + 1
        self.fail(pos, repr(ch))

    def word(self, pos: int, word: str) -> int:
        if self.q[pos:pos + len(word)].lower() == word:
            return pos + len(word)
        self.fail(pos, word.upper())

    # --- keywords: Or = Space+ 'or' Space+, And = Space+ 'and' Space+, Not = 'not' Space+
    def keyword(self, pos: int, word: str, leading_space: bool) -> int | None:
        start = pos
        if leading_space:
            pos = self.spaces(pos)
            if pos == start:
                return None
        if self.q[pos:pos + len(word)].lower() != word:
            return None
        pos += len(word)
        after = self.spaces(pos)
        return after if after > pos else None

    def is_keyword_at(self, pos: int) -> bool:
        """Kibana's Keyword rule at pos: Space 'or' Space / Space 'and' Space / 'not' Space (checked at every
        character of an unquoted value, so written without backtracking helpers)."""
        q = self.q
        ch = q[pos]
        if ch in _SPACE:
            word = q[pos + 1:pos + 5].lower()
            return (word[:2] == "or" and word[2:3] in _SPACE) or (word[:3] == "and" and word[3:4] in _SPACE)
        if ch == "n" or ch == "N":
            return q[pos:pos + 3].lower() == "not" and q[pos + 3:pos + 4] in _SPACE
        return False

    # --- grammar
    def start(self) -> Node:
        pos = self.spaces(0)
        node: Node = MatchAll()
        try:
            node, pos = self.or_query(pos)
        except _Fail:
            pass
        pos = self.spaces(pos)
        if pos != self.n:
            self.fail(pos, "end of query")
        return node

    def chain(self, pos: int, item: Any, word: str, build: Any) -> Any:
        """item (word item)*, as the grammar's `head:X tail:(Or X)+ / X`: a keyword not followed by a
        valid item is left for the caller (PEG backtracking)."""
        node, pos = item(pos)
        items = [node]
        while (after := self.keyword(pos, word, True)) is not None:
            try:
                node, pos = item(after)
            except _Fail:
                break
            items.append(node)
        return (items[0] if len(items) == 1 else build(items)), pos

    def or_query(self, pos: int) -> tuple[Node, int]:
        return self.chain(pos, self.and_query, "or", lambda items: Or(tuple(items)))

    def and_query(self, pos: int) -> tuple[Node, int]:
        return self.chain(pos, self.not_query, "and", lambda items: And(tuple(items)))

    def not_query(self, pos: int) -> tuple[Node, int]:
        after = self.keyword(pos, "not", False)
        if after is not None:
            try:
                node, end = self.sub_query_or_expression(after)
                return Not(node), end
            except _Fail:
                pass
        return self.sub_query_or_expression(pos)

    def sub_query(self, pos: int) -> tuple[Node, int]:
        if pos < self.n and self.q[pos] == "(":
            node, end = self.or_query(self.spaces(pos + 1))
            return node, self.char(self.spaces(end), ")")
        self.fail(pos, "'('")

    # SubQuery = '(' OrQuery ')' / NestedQuery / Expression
    def sub_query_or_expression(self, pos: int) -> tuple[Node, int]:
        try:
            return self.sub_query(pos)
        except _Fail:
            pass
        try:
            return self.nested_query(pos)
        except _Fail:
            pass
        return self.expression(pos)

    def nested_query(self, pos: int) -> tuple[Node, int]:
        field, pos = self.literal(pos)
        pos = self.char(self.spaces(pos), ":")
        pos = self.char(self.spaces(pos), "{")
        saved, self.prefix = self.prefix, self.full_name(field)
        try:
            node, pos = self.or_query(self.spaces(pos))
        finally:
            self.prefix = saved
        pos = self.char(self.spaces(pos), "}")
        return Nested(self.full_name(field), node), pos

    prefix = ""

    def full_name(self, field: Literal | Wildcard) -> str:
        name = field.text
        return f"{self.prefix}.{name}" if self.prefix else name

    def expression(self, pos: int) -> tuple[Node, int]:
        for alternative in (self.range_expression, self.field_value_expression, self.value_expression):
            try:
                return alternative(pos)
            except _Fail:
                continue
        raise _Fail

    def range_expression(self, pos: int) -> tuple[Node, int]:
        field, pos = self.literal(pos)
        pos = self.spaces(pos)
        for op in ("<=", ">=", "<", ">"):
            if self.q.startswith(op, pos):
                break
        else:
            self.fail(pos, "a range operator")
        value, pos = self.literal(self.spaces(pos + len(op)))
        if isinstance(value, Wildcard):
            value = Literal(value.text)
        return Range(self.full_name(field), op, value, isinstance(field, Wildcard)), pos

    def field_value_expression(self, pos: int) -> tuple[Node, int]:
        field, pos = self.literal(pos)
        pos = self.char(self.spaces(pos), ":")
        build, pos = self.list_of_values(self.spaces(pos))
        return build(self.full_name(field), isinstance(field, Wildcard)), pos

    def value_expression(self, pos: int) -> tuple[Node, int]:
        value, pos = self.value(pos)
        return FreeText(value), pos

    # value lists return a builder that applies them to the field, as Kibana's grammar does
    def list_of_values(self, pos: int) -> Any:
        if pos < self.n and self.q[pos] == "(":
            build, end = self.or_list(self.spaces(pos + 1))
            return build, self.char(self.spaces(end), ")")
        value, pos = self.value(pos)
        return (lambda field, glob: _is(field, glob, value)), pos

    def or_list(self, pos: int) -> Any:
        return self.chain(pos, self.and_list, "or",
                          lambda builders: lambda field, glob: Or(tuple(b(field, glob) for b in builders)))

    def and_list(self, pos: int) -> Any:
        return self.chain(pos, self.not_list, "and",
                          lambda builders: lambda field, glob: And(tuple(b(field, glob) for b in builders)))

    def not_list(self, pos: int) -> Any:
        after = self.keyword(pos, "not", False)
        if after is not None:
            try:
                build, end = self.list_of_values(after)
                return (lambda field, glob: Not(build(field, glob))), end
            except _Fail:
                pass
        return self.list_of_values(pos)

    def value(self, pos: int) -> tuple[Literal | Wildcard, int]:
        return self.literal(pos)

    def literal(self, pos: int) -> tuple[Literal | Wildcard, int]:
        # a field name is read by each alternative that starts with one (nested, range, field: value): read it
        # once per position (a failure is not kept: reading it again records what was expected)
        found = self.literals.get(pos)
        if found is None:
            found = self.literals[pos] = self.quoted(pos) if pos < self.n and self.q[pos] == '"' \
                else self.unquoted(pos)
        return found

    def quoted(self, pos: int) -> tuple[Literal, int]:
        q, chars = self.q, list[str]()
        i = pos + 1
        while True:
            if i >= self.n:  # Kibana's grammar reports a value (a named rule) where it starts, not inside
                self.fail(pos, "a value")
            ch = q[i]
            if ch == '"':
                return Literal("".join(chars), True), i + 1
            if ch == "\\" and i + 1 < self.n:
                nxt = q[i + 1]
                escaped = self.escape(i)
                if escaped:
                    chars.append(escaped[0])
                    i = escaped[1]
                    continue
                if nxt in '\\"':
                    chars.append(nxt)
                    i += 2
                    continue
            chars.append(ch)
            i += 1

    def escape(self, i: int) -> tuple[str, int] | None:
        """The escapes both quoted and unquoted text know, at the backslash at i: \\t \\r \\n and \\uXXXX."""
        nxt = self.q[i + 1:i + 2]
        if nxt and nxt in _ESCAPED_WHITESPACE:
            return _ESCAPED_WHITESPACE[nxt], i + 2
        if nxt == "u" and i + 6 <= self.n and all(c in _HEX for c in self.q[i + 2:i + 6]):
            return chr(int(self.q[i + 2:i + 6], 16)), i + 6
        return None

    def unquoted(self, pos: int) -> tuple[Literal | Wildcard, int]:
        q, chars = self.q, list[object]()
        i = pos
        while i < self.n:
            plain = _PLAIN.match(q, i)
            if plain:
                chars.extend(plain.group())
                i = plain.end()
                continue
            ch = q[i]
            if ch == "\\":
                nxt = q[i + 1] if i + 1 < self.n else ""
                escaped = self.escape(i)
                if escaped:
                    chars.append(escaped[0])
                    i = escaped[1]
                    continue
                if nxt and nxt in _SPECIAL:
                    chars.append(nxt)
                    i += 2
                    continue
                word = next((w for w in ("or", "and", "not") if q[i + 1:i + 1 + len(w)].lower() == w), None)
                if word:
                    chars.append(q[i + 1:i + 1 + len(word)])
                    i += 1 + len(word)
                    continue
                break  # any other backslash: not a character of the value
            if ch == "*":
                chars.append(_WILD)
                i += 1
                continue
            if ch in _SPECIAL or self.is_keyword_at(i):
                break
            chars.append(ch)
            i += 1
        if not chars:
            self.fail(pos, "a value")
        return _build_unquoted(chars), i


def _js_trim(chars: list) -> list:
    # JavaScript's trim(): leading and trailing white space, including escaped \t \r \n
    start, end = 0, len(chars)
    while start < end and chars[start] is not _WILD and chars[start].isspace():
        start += 1
    while end > start and chars[end - 1] is not _WILD and chars[end - 1].isspace():
        end -= 1
    return chars[start:end]


def _build_unquoted(chars: list) -> Literal | Wildcard:
    chars = _js_trim(chars)
    if _WILD not in chars:
        return Literal("".join(chars))
    parts: list = []
    current: list = []
    for ch in chars:
        if ch is _WILD:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return Wildcard(tuple(parts))


def _is(field: str, glob: bool, value: Literal | Wildcard) -> Node:
    if isinstance(value, Wildcard) and value.is_lone:
        if glob and field == "*":
            return MatchAll()
        return Exists(field, glob)
    return Match(field, value, glob)


def parse_kql(query: str) -> Node:
    """Parse a KQL string as Kibana does. Raises KqlSyntaxError with line and column."""
    if not isinstance(query, str):
        raise KqlSyntaxError(f"a KQL query is text, not {type(query).__name__}", "", 0)
    parser = _Parser(query)
    try:
        return parser.start()
    except _Fail:
        pos = parser.furthest
        found = "end of query" if pos >= len(query) else repr(query[pos])
        expected = ", ".join(sorted(parser.expected)) or "a query"
        raise KqlSyntaxError(f"expected {expected} but {found} found", query, pos) from None
