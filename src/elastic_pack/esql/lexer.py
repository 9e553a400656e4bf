"""ES|QL tokens: comments, strings (also triple-quoted), numbers, identifiers (dotted, parts in backquotes),
operators. The FROM clause's index patterns are read raw (they hold dots, dashes, colons and stars)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import QuerySyntaxError, UnsupportedQueryError

KEYWORDS = {"from", "where", "eval", "stats", "by", "keep", "drop", "rename", "sort", "limit", "and", "or", "not",
            "is", "null", "in", "like", "rlike", "true", "false", "asc", "desc", "metadata", "as", "nulls",
            "first", "last", "mv_expand", "dissect", "grok", "append_separator", "inline", "lookup", "join",
            "enrich", "fork", "row", "show", "on", "with"}
_TOKENS = r"""
    (?P<ws>\s+|//[^\n]*|/\*[\s\S]*?\*/)
  | (?P<string>\"\"\"[\s\S]*?\"\"\"(?!\")|"(?:[^"\\]|\\.)*")
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>PART(?:\.(?:CHARS+|`(?:[^`]|``)+`))*)
  | (?P<op>::|==|!=|<=|>=|[<>=|,()*+\-/%:\[\]{}])
"""
# in expressions `*` multiplies (`y*y`); in KEEP and DROP it is a wildcard inside names (`host.*`, `*_id`)
_TOKEN = re.compile(_TOKENS.replace("PART", r"(?:[A-Za-z_@][\w@]*|`(?:[^`]|``)+`)").replace("CHARS", r"[\w@]"),
                    re.VERBOSE)
_PATTERN_TOKEN = re.compile(_TOKENS.replace("PART", r"(?:[A-Za-z_@*][\w@*]*|`(?:[^`]|``)+`)")
                            .replace("CHARS", r"[\w@*]"), re.VERBOSE)
_SOURCE_END = re.compile(r"\|\s*|\s+metadata\b", re.IGNORECASE)


class EsqlSyntaxError(QuerySyntaxError):
    """Not ES|QL: the message, and the line and column (1-based) where the query stops being ES|QL."""

    def __init__(self, message: str, text: str, offset: int):
        super().__init__(message, *QuerySyntaxError.location(text, offset))


class UnsupportedEsql(UnsupportedQueryError):
    """ES|QL that Elasticsearch runs and the local engine does not: named, located when the parser found it."""

    def __init__(self, message: str, text: str | None = None, offset: int | None = None):
        self.reason = message
        self.line: int | None = None
        self.column: int | None = None
        if text is not None and offset is not None:
            self.line, self.column = QuerySyntaxError.location(text, offset)
        super().__init__(message if self.line is None else f"{message} (line {self.line}, column {self.column})")


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    offset: int


def identifier(text: str) -> str:
    """A field name as written (`source.\\`as\\`.name`) -> the name (source.as.name)."""
    if "`" not in text:
        return text
    return "".join(part[1:-1].replace("``", "`") if part.startswith("`") else part
                   for part in re.findall(r"`(?:[^`]|``)+`|[^`]+", text))


def unquote(text: str) -> str:
    if text.startswith('"""'):
        return text[3:-3]  # triple-quoted strings take backslashes as they are
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), text[1:-1])


def from_clause(text: str) -> tuple[tuple[str, ...], int]:
    """The index patterns of a leading FROM (comma-separated, raw) and the offset where the rest begins."""
    match = re.match(r"\s*(?:/\*[\s\S]*?\*/\s*|//[^\n]*\n\s*)*from\s+", text, re.IGNORECASE)
    if not match:
        raise EsqlSyntaxError("an ES|QL rule query starts with FROM", text, 0)
    end = _SOURCE_END.search(text, match.end())
    stop = end.start() if end else len(text)
    sources = tuple(s.strip().strip('"') for s in text[match.end():stop].split(",") if s.strip())
    if not sources:
        raise EsqlSyntaxError("FROM needs an index pattern", text, match.end())
    return sources, stop


def tokens(text: str, start: int = 0) -> list[Tok]:
    out: list[Tok] = []
    pos, patterns = start, False
    while pos < len(text):
        match = (_PATTERN_TOKEN if patterns else _TOKEN).match(text, pos)
        if not match:
            raise EsqlSyntaxError(f"unexpected character {text[pos]!r}", text, pos)
        kind = match.lastgroup
        assert kind is not None  # every alternative of the pattern is named
        if kind != "ws":
            value = match.group()
            if kind == "ident" and value.lower() in KEYWORDS:
                kind = value.lower()
            if kind in ("keep", "drop") and out and out[-1].text == "|":
                patterns = True
            elif kind == "op" and value == "|":
                patterns = False
            out.append(Tok(kind, value, pos))
        pos = match.end()
    out.append(Tok("end", "", len(text)))
    return out
